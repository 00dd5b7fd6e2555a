"""Vietnamese text folding that keeps a map back to the original characters.

``fold("Đóng BHXH")`` -> ``"dong bhxh"``. ``fold_with_offsets`` also returns, for each character of the
folded string, the (start, end) span of the original text it came from, so matches found on folded text
can be reported as exact spans of what the user typed (NFC, NFD or mixed input alike).
"""
from __future__ import annotations

import unicodedata
from typing import List, Tuple

_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"}


def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.lower() if base else ""


def fold_with_offsets(text: str) -> Tuple[str, List[Tuple[int, int]]]:
    """Fold diacritics and case; return the folded string and per-character original spans.

    Combining marks (NFD input) are attached to the preceding base character, so every folded character
    maps to a span covering the base and its marks. Characters that fold to more than one character
    (rare ligatures) map each output character to the same span.
    """
    out: List[str] = []
    spans: List[Tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        folded = _fold_char(unicodedata.normalize("NFC", text[i:j])[:1]) if not unicodedata.combining(text[i]) else ""
        if not folded and unicodedata.combining(text[i]):
            i = j
            continue
        # Compatibility forms ("ﬁ", "½", full-width letters) become plain letters; some of them ("¸", "˝")
        # decompose to a space and a combining mark, which is folded away like any other mark.
        compatible = unicodedata.normalize("NFKC", folded).lower()
        folded = "".join(c for c in compatible if not unicodedata.combining(c)) or folded
        for c in folded:
            out.append(c)
            spans.append((i, j))
        i = j
    return "".join(out), spans


def fold(text: str) -> str:
    return fold_with_offsets(text)[0]
