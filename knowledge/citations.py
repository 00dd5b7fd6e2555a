"""Legal citations grouped per document, for the basis line of an answer.

Data only: this module builds the list of documents (with their articles) that back a set of facts;
the wording of the basis line is left to the caller. Contact facts (phone numbers, websites, help
lines) are referral details, never a legal basis, and are skipped.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from knowledge.parameters import Fact

# "<word> <n>" or "<word> <a>–<b>", then the rest of the article: the head of an article reference.
_HEAD = re.compile(r"^(?P<word>\D+?)\s*(?P<lo>\d+)(?:\s*[–-]\s*(?P<hi>\d+))?(?P<rest>(?:\s.*)?)$")


@dataclass(frozen=True)
class DocumentCitation:
    """One document and the articles of it cited by a set of facts."""

    document: str
    articles: Tuple[str, ...]
    href: str
    since: dt.date  # latest effective_from among the facts citing the document

    @property
    def citation(self) -> str:
        """``"<document>, <article 1>, <article 2>"``."""
        return ", ".join((self.document, *self.articles))


def _legal(facts: Iterable[Fact]) -> List[Fact]:
    return [f for f in facts if not f.is_contact]


def _head(article: str):
    m = _HEAD.match(article.strip())
    if not m:
        return None
    lo = int(m["lo"])
    hi = int(m["hi"]) if m["hi"] else lo
    return m["word"].strip(), lo, hi, m["rest"].strip()


def _covers(whole: str, part: str) -> bool:
    """``whole`` is a whole article or a range of whole articles that contains ``part``.

    "<w> 102" covers "<w> 102 <clause...>"; "<w> 24–26" covers "<w> 26" and "<w> 25 <clause...>".
    """
    if whole == part:
        return False
    w, p = _head(whole), _head(part)
    if not w or not p or w[3]:  # only a bare article or range covers other references
        return False
    return w[0] == p[0] and w[1] <= p[1] and p[2] <= w[2]


def _merge(articles: Sequence[str]) -> Tuple[str, ...]:
    """De-duplicate, keep first-seen order, drop an article already covered by a whole article cited."""
    unique: List[str] = []
    for a in articles:
        if a not in unique:
            unique.append(a)
    return tuple(a for a in unique if not any(_covers(other, a) for other in unique))


def documents(facts: Iterable[Fact]) -> List[DocumentCitation]:
    """The documents cited by the (non-contact) facts, in first-seen order, with their articles merged."""
    order: List[str] = []
    articles: Dict[str, List[str]] = {}
    hrefs: Dict[str, str] = {}
    since: Dict[str, dt.date] = {}
    for fact in _legal(facts):
        for ref in fact.references:
            doc = ref.document
            if doc not in articles:
                order.append(doc)
                articles[doc] = []
                hrefs[doc] = ref.href
                since[doc] = fact.effective_from
            articles[doc].extend(ref.articles)
            since[doc] = max(since[doc], fact.effective_from)
    return [DocumentCitation(doc, _merge(articles[doc]), hrefs[doc], since[doc]) for doc in order]


def main_document(facts: Iterable[Fact]) -> Optional[DocumentCitation]:
    """The document cited by the most non-contact facts (a tie goes to the one seen first)."""
    facts = _legal(facts)
    docs = documents(facts)
    if not docs:
        return None
    counts = {d.document: sum(any(r.document == d.document for r in f.references) for f in facts) for d in docs}
    best = max(counts.values())
    return next(d for d in docs if counts[d.document] == best)


def effective_from(facts: Iterable[Fact]) -> Optional[dt.date]:
    """The latest effective date among the non-contact facts (None when there are none)."""
    dates = [f.effective_from for f in _legal(facts)]
    return max(dates) if dates else None
