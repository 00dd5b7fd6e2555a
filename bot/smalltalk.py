"""Closed-class short messages (yes, no, hello, thanks, bye) recognised by rule, not by the classifier.

These messages are one or two words long and come in a small, known set of spellings; a statistical
classifier trained on a few dozen of them confuses "có" with "không". A whole-message match on the
folded text (no diacritics, lower case, punctuation and emoji removed) is exact and predictable.
"""
from __future__ import annotations

import re
from typing import Optional

from knowledge.text import fold

# Politeness and filler words that may surround the core word(s).
FILLER = r"(?:\s+(?:a|ah|ak|ha|nhe|nha|nhé|nhaa|roi|vay|luon|chu|nhe ban|ban|ad|anh|chi|em|ban oi|ad oi|nhieu|lam|qua|ban nhe|nhe ad|tro ly|an sinh))*"
LEAD = r"(?:(?:da|vang|ok|oke|u|uh|thoi|em|toi|minh)\s+)?"

PATTERNS = [
    ("thank", r"(?:cam on|cam on ban|cam on nhieu|cam on rat nhieu|thanks|thank you|thank|tks|thks|camon|cmon|cam on thong tin)"),
    ("goodbye", r"(?:tam biet|bye|bye bye|bai bai|bb|hen gap lai|gap lai sau|chao tam biet|chao than ai|thoi chao(?: ban| ad)?|chao(?: ban| ad| em| anh| chi)? (?:nhe|nha))"),
    ("greet", r"(?:xin chao|chao|chao ban|hello|hi|alo|alo alo|he lo|hey|chao buoi sang|chao buoi chieu|chao buoi toi|/start|start)"),
    ("affirm", r"(?:co|dung|dung roi|dung vay|dung the|vang|da|da vang|da co|ok|oke|okie|okay|duoc|u|uh|uk|um|phai|phai roi|chinh xac|dong y|yes|chuan|chuan roi|co chu|duoc a)"),
    ("deny", r"(?:khong|ko|k|kg|hong|hok|khum|chua|sai|sai roi|khong phai|ko phai|k phai|khong dung|khong can|ko can|k can|no|khong co|ko co|chua co|khong muon|nham roi)"),
]
_COMPILED = [(intent, re.compile(rf"^{LEAD}{core}{FILLER}$")) for intent, core in PATTERNS]


def normalise(text: str) -> str:
    folded = fold(text)
    folded = re.sub(r"[^\w/\s]", " ", folded)  # punctuation and emoji
    return re.sub(r"\s+", " ", folded).strip()


def match(text: str) -> Optional[str]:
    """The small-talk intent of a whole message, or None."""
    t = normalise(text)
    if not t or len(t) > 40:
        return None
    for intent, rx in _COMPILED:
        if rx.match(t):
            return intent
    return None


# --- emoji and sticker-only messages -----------------------------------------------------------------

# Faces and symbols that say the person is sad, crying, worried or desperate.
DISTRESS_EMOJI = frozenset("😭😢😞🥺😥😰😓😔☹🙁😿💔😩😫😖😣😟😕🥲😪")
DISTRESS_TEXT = re.compile(
    r"(?:^|\s)(?:hu ?hu+|hic+|hix+|huhu+|t_t|tt_tt|buon qua|kho qua|tuyet vong|be tac|cung duong|"
    r"chan qua|met moi qua|khong biet lam sao|ko biet lam sao|k biet lam sao|khong con cach nao)(?:\s|$)"
)
DISTRESS_EMOTICON = re.compile(r":'\(|:-?\(+|=\(|;\(")


def is_only_symbols(text: str) -> bool:
    """True for a message of emoji, stickers' text stand-ins, punctuation or symbols only (no letter or digit)."""
    stripped = "".join(ch for ch in (text or "") if not ch.isspace())
    return bool(stripped) and not any(ch.isalnum() for ch in stripped)


def is_distressed(text: str) -> bool:
    """True when the message carries distress: crying/sad emoji (😭😢😞🥺…), ":(", "huhu", "bế tắc quá"…"""
    if not text:
        return False
    if any(ch in DISTRESS_EMOJI for ch in text) or DISTRESS_EMOTICON.search(text):
        return True
    return bool(DISTRESS_TEXT.search(" " + normalise(text) + " "))
