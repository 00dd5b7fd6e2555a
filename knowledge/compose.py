"""Composing a reply from rendered content: the answer, its cautions, a short basis line, buttons.

The main text comes first; uncertain facts add their caution; one line names the main legal document
(about 120 characters at most, the full list is behind the "Căn cứ pháp lý" button); the rest of a long
answer is behind "Xem thêm".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence

from knowledge import citations, content
from knowledge.parameters import Fact
from knowledge.money import date_vi
from knowledge.registry import Button, registry

BASIS_BUDGET = 120
# A reply that answers several questions at once: all its answers together (one basis line besides).
SEVERAL_BUDGET = 1050
BRIEF_MIN = 150


@dataclass
class Message:
    text: str
    buttons: List[Button] = field(default_factory=list)


def say(key: str, on: dt.date, inputs: Optional[Mapping[str, Any]] = None) -> str:
    """The text of a content entry that is no answer (a prompt, an error, a short message)."""
    return content.render(key, on, inputs).text


def short_basis(facts: Sequence[Fact], on: dt.date) -> str:
    """The main document and its articles, within the budget; "" when no legal fact is cited."""
    main = citations.main_document(facts)
    if main is None:
        return ""
    since = citations.effective_from(facts) or main.since
    others = len(citations.documents(facts)) > 1
    articles = list(main.articles)
    while True:
        line = say("basis.short", on, {"document": main.document, "articles": articles, "since": date_vi(since), "more": others})
        if len(line) <= BASIS_BUDGET or not articles:
            return line
        articles.pop()


def full_basis(facts: Sequence[Fact], on: dt.date) -> str:
    docs = citations.documents(facts)
    if not docs:
        return ""
    return say("basis.full", on, {"documents": docs})


def cautions(facts: Sequence[Fact], on: dt.date) -> List[str]:
    seen: List[str] = []
    for f in facts:
        if f.caution and f.caution not in seen:
            seen.append(f.caution)
    return [say("basis.caution", on, {"caution": c}) for c in seen]


def answer(rendered: content.Rendered, on: dt.date, buttons: Sequence[Button] = ()) -> Message:
    """An answer as one message: text, cautions, short basis; follow-ups, "Xem thêm", "Căn cứ pháp lý"."""
    parts = [rendered.text] + cautions(rendered.facts, on)
    basis = short_basis(rendered.facts, on)
    if basis:
        parts.append(basis)
    reg = registry()
    extra = ([reg.control("more")] if rendered.more else []) + ([reg.control("basis")] if basis else [])
    return Message("\n\n".join(parts), list(buttons) + extra)


def brief(rendered: content.Rendered, on: dt.date, budget: int, full: Button, basis: bool = True) -> Message:
    """The first lines of an answer, within ``budget`` characters, its basis, and a button to all of it."""
    lines, used = [], 0
    basis = short_basis(rendered.facts, on) if basis else ""
    room = budget - len(basis) - 2
    for line in rendered.text.split("\n"):
        if lines and used + len(line) + 1 > room:
            break
        if not lines and len(line) > room:
            # A first line longer than the share: cut it at a sentence or word boundary.
            cut = max(line.rfind(". ", 0, room), line.rfind(", ", 0, room))
            line = (line[: cut + 1] if cut > room // 2 else line[: line.rfind(" ", 0, room - 1)]) + "…"
        lines.append(line)
        used += len(line) + 1
    parts = ["\n".join(lines)] + ([basis] if basis else [])
    return Message("\n\n".join(parts), [full])
