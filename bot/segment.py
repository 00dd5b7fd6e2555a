"""Vietnamese segmentation into tokens that are exact spans of the user's text.

1. Fold the text (no diacritics, lower case) keeping a map to original offsets.
2. Split into syllables (``\\w`` runs; numbers keep their separators and unit: "2.000.000đ", "1tr5").
3. Group syllables into words: the domain dictionary (matched on folded syllables, so it works without
   diacritics) first, then underthesea's CRF segmentation (with the domain dictionary as fixed words)
   where the text has diacritics.
4. Each word becomes (start, end, text, lemma) with start/end in the original string; the lemma is the
   canonical domain term, the expanded abbreviation, or the folded syllables.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Tuple

from bot.lexicon import ABBREVIATIONS, folded_terms, user_dictionary
from knowledge.text import fold, fold_with_offsets

logger = logging.getLogger(__name__)

SYLLABLE = re.compile(r"\d+(?:[.,]\d+)*\w*|\w+", re.UNICODE)
MAX_TERM = 8


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str
    lemma: str


@lru_cache(maxsize=1)
def _terms():
    return folded_terms()


@lru_cache(maxsize=1)
def _underthesea():
    try:
        from underthesea import word_tokenize  # type: ignore
    except Exception:  # pragma: no cover - dependency is pinned
        logger.warning("underthesea not available; falling back to dictionary segmentation")
        return None
    return word_tokenize


def _has_diacritics(text: str) -> bool:
    return any(ord(c) > 127 and c.isalpha() for c in text)


def _underthesea_groups(text: str, syllables: List[str]) -> List[Tuple[int, int]]:
    """(i, j) syllable ranges that underthesea joins into one multi-syllable word."""
    tokenize = _underthesea()
    if tokenize is None or not _has_diacritics(text):
        return []
    try:
        words = tokenize(unicodedata.normalize("NFC", text), fixed_words=user_dictionary())
    except Exception:  # noqa: BLE001 - segmentation must never break parsing
        logger.exception("underthesea failed; using syllables")
        return []
    groups = []
    cursor = 0
    for w in words:
        pieces = SYLLABLE.findall(fold(w))
        if len(pieces) < 2:
            if pieces:
                try:
                    cursor = syllables.index(pieces[0], cursor) + 1
                except ValueError:
                    pass
            continue
        k = len(pieces)
        for i in range(cursor, len(syllables) - k + 1):
            if syllables[i : i + k] == pieces:
                groups.append((i, i + k))
                cursor = i + k
                break
    return groups


def _number_lemma(token: str) -> str:
    """Numbers are features by kind, not value: "3" -> "so", "2tr"/"500k"/"2.000.000d" -> "so_tien"."""
    digits = re.sub(r"\D", "", token)
    if re.search(r"[a-z]", token) or re.search(r"[.,]\d{3}", token) or len(digits) >= 4:
        return "so_tien"
    return "so"


def segment(text: str) -> List[Word]:
    if not text:
        return []
    folded, spans = fold_with_offsets(text)
    matches = list(SYLLABLE.finditer(folded))
    if not matches:
        return []
    syl = [m.group() for m in matches]
    bounds = [(spans[m.start()][0], spans[m.end() - 1][1]) for m in matches]

    # Domain terms, longest match first.
    lemma_of: dict = {}
    taken = [False] * len(syl)
    groups: List[Tuple[int, int]] = []
    terms = _terms()
    i = 0
    while i < len(syl):
        hit = None
        for k in range(min(MAX_TERM, len(syl) - i), 1, -1):
            lemma = terms.get(tuple(syl[i : i + k]))
            if lemma:
                hit = (k, lemma)
                break
        if hit:
            groups.append((i, i + hit[0]))
            lemma_of[(i, i + hit[0])] = hit[1]
            for t in range(i, i + hit[0]):
                taken[t] = True
            i += hit[0]
        else:
            i += 1
    for a, b in _underthesea_groups(text, syl):
        if not any(taken[a:b]):
            groups.append((a, b))
            for t in range(a, b):
                taken[t] = True
    for t in range(len(syl)):
        if not taken[t]:
            groups.append((t, t + 1))
    groups.sort()

    words: List[Word] = []
    for a, b in groups:
        start, end = bounds[a][0], bounds[b - 1][1]
        if words and start < words[-1].end:
            # A character that folds to several (NFKC: "½" is "1⁄2") can end one syllable and start the next:
            # both then cover it. Tokens must not overlap, so the second joins the first.
            last = words.pop()
            end = max(end, last.end)
            words.append(Word(last.start, end, text[last.start:end], last.lemma))
            continue
        pieces = syl[a:b]
        lemma = lemma_of.get((a, b))
        if lemma is None:
            if b - a == 1 and pieces[0][0].isdigit():
                lemma = _number_lemma(pieces[0])
            elif b - a == 1:
                lemma = ABBREVIATIONS.get(pieces[0], pieces[0])
            else:
                lemma = " ".join(pieces) + " " + "_".join(pieces)
        words.append(Word(start, end, text[start:end], lemma))
    return words


def lemma_text(text: str) -> str:
    """The normalised form the featurizers see, for debugging and the command line."""
    return " ".join(w.lemma for w in segment(text))

