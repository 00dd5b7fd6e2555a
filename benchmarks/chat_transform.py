"""Rewrite a question the way people type it in a chat: lower case, no polite opening, abbreviations and
teen-code, diacritics dropped from most words (deterministically, so runs compare).

    >>> chat("Xin hỏi, tôi muốn đóng bảo hiểm xã hội tự nguyện thì làm thế nào?")
    'e mun dong bhxh tu nguyen thj lm the nao?'

Used by benchmarks/eval_conversation.py on the real questions; the real questions themselves are never
copied into training data or answers.
"""
from __future__ import annotations

import hashlib
import re

from knowledge.text import fold

OPENINGS = re.compile(
    r"^\s*(?:(?:xin )?(?:kính )?(?:chào|gửi)[^,.!?]*[,.!]\s*|xin (?:cho )?hỏi[,:]?\s*|cho (?:tôi|em|mình) hỏi[,:]?\s*|"
    r"(?:tôi|em|mình) (?:xin|muốn) hỏi[,:]?\s*|xin tư vấn[,:]?\s*|nhờ (?:luật sư|ban biên tập|chuyên gia) tư vấn[,:]?\s*)",
    re.IGNORECASE,
)
# Longest first: whole phrases, then words.
REPLACEMENTS = [
    ("bảo hiểm xã hội", "bhxh"), ("bảo hiểm y tế", "bhyt"), ("bảo hiểm thất nghiệp", "bhtn"),
    ("trợ cấp thất nghiệp", "tctn"), ("công ty", "cty"), ("doanh nghiệp", "cty"), ("bao nhiêu", "bn"),
    ("như thế nào", "ntn"), ("hợp đồng lao động", "hđlđ"), ("người lao động", "nld"),
    ("không", "ko"), ("được", "đc"), ("gì", "j"), ("muốn", "mún"), ("thì", "thj"), ("làm", "lm"),
    ("vậy", "z"), ("sao", "s"), ("người", "ng"), ("tôi", "e"), ("mình", "mk"), ("với", "vs"),
    ("biết", "bít"), ("đăng ký", "đk"), ("triệu", "tr"), ("trước", "trc"),
]
KEEP_ACCENTS_ONE_IN = 5  # about one word in five keeps its diacritics


def _keeps_accents(word: str, position: int) -> bool:
    digest = hashlib.sha1(f"{position}:{word}".encode("utf-8")).digest()
    return digest[0] % KEEP_ACCENTS_ONE_IN == 0


def chat(text: str) -> str:
    t = OPENINGS.sub("", text.strip()).lower()
    for long, short in REPLACEMENTS:
        t = re.sub(rf"(?<!\w){re.escape(long)}(?!\w)", short, t)
    words = t.split(" ")
    return " ".join(w if _keeps_accents(w, i) else fold(w) for i, w in enumerate(words))
