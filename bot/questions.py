"""Whether a message, or a part of it, asks something: plain Python, no Rasa (the dialogue uses it too)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict

from knowledge.text import fold

# A part is a question when it ends with "?" or asks with one of these (folded) words; the other parts of
# a long story are its context, not questions of their own.
QUESTION_WORDS = re.compile(
    r"\b(?:khong|ko|hok|k|chua|sao|nao|duoc khong|hay khong|phai khong|duoc ko|dc ko|dc k)\s*[?.!]*\s*$"
)
# Words that ask wherever they stand ("đóng bao nhiêu năm thì có lương hưu").
ASKING_WORDS = re.compile(r"\b(?:bao nhieu|bn|o dau|cho nao|the nao|ntn|ra sao|lam sao|la gi|gi|j|hoi ai|bao lau|khi nao|luc nao)\b")
# "mấy" (how many) folds to "may", which is also "may" (to sew: "công nhân may") and "máy" (a machine):
# with diacritics only "mấy" asks; without them, "may" asks before a counting word or at the end.
HOW_MANY_ACCENTED = re.compile(r"(?<!\w)mấy(?!\w)")
HOW_MANY_FOLDED = re.compile(
    r"\bmay\s+(?:thang|nam|ngay|tuoi|lan|nguoi|dua|con|buoi|tieng|gio|trieu|cu|tr|dong|k|phan|muc|loai|ky|dot)\b|\bmay\s*[?.!]*\s*$"
)
TRAILING_PARTICLES = re.compile(r"(?:\s+(?:a|ah|ak|z|vay|the|nhi|ha|nha|nhe|ad|ban|nua|chu))+\s*[?.!]*\s*$")


def is_question(text: str, part: Dict[str, Any]) -> bool:
    """Whether a part of the message asks something (a "?" right after it, or a question word at its end,
    before the particles people add: "bao nhiêu z", "ở đâu ạ", "được ko")."""
    after = text[part["end"]:part["end"] + 3]
    folded = fold(part["text"])
    if "?" in after or QUESTION_WORDS.search(folded):
        return True
    return bool(QUESTION_WORDS.search(TRAILING_PARTICLES.sub("", folded)) or ASKING_WORDS.search(folded)
                or _asks_how_many(part["text"], folded))


def _asks_how_many(text: str, folded: str) -> bool:
    """"mấy" asks; "may" and "máy" do not. A text written without any diacritics cannot tell them apart,
    so there "may" asks only where "mấy" would stand: before a counting word or at the end."""
    if folded != text.lower():
        return bool(HOW_MANY_ACCENTED.search(unicodedata.normalize("NFC", text.lower())))
    return bool(HOW_MANY_FOLDED.search(folded))


def asks(text: str) -> bool:
    """Whether a whole message asks something ("e dang co bau 5 thang" tells; "... thi sao?" asks)."""
    return "?" in (text or "") or is_question(text or "", {"text": text or "", "end": len(text or "")})
