"""Dated, referenced legal parameters.

Each parameter lives in a YAML file under ``knowledge/parameters/``. Its values are keyed by the date
they take effect (a ``null`` value ends the rule), and it carries the legal references that back it.
``get(name, on)`` returns the :class:`Fact` in force on a given day, so the rule that applies on a day
is a lookup, never an ``if`` on dates in code.

A reference names ONE document and the articles of that document::

    references:
      - document: Luật Bảo hiểm xã hội 41/2024/QH15
        articles: [Điều 32 khoản 2, Điều 36 khoản 1]
        href: https://vanban.chinhphu.vn/?docid=211199&pageid=27160
        from: 2025-07-01      # optional: the reference applies from / to these days
        note: free text       # optional, internal

A rule's reference lists its articles. Only when no article can be cited (the source gives none, the text
was not read) may it say ``articles: []``, and then it must have a ``note:`` saying why::

      - document: Nghị quyết 202/2025/QH15
        articles: []
        note: the resolution as a whole; article not read
        href: https://...

A parameter is a ``rule`` (default) or a ``contact`` (``kind: contact``: a phone number, website or help
line). A contact's reference says where the detail is published and needs no articles; it is never
printed as a legal basis.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

PARAMETER_DIR = Path(__file__).with_name("parameters")
STATUSES = {"verified", "uncertain"}
# ``rule``: a legal rule, its references are its legal basis. ``contact``: a phone number, website or help
# line; its reference is where the detail is published, never a legal basis.
KINDS = ("rule", "contact")
RULE, CONTACT = KINDS

# Kinds of legal document. A reference's document may name only one of them.
DOCUMENT_TYPE = re.compile(r"(?<!\w)(?:Bộ luật|Luật|Nghị định|Thông tư|Quyết định|Nghị quyết)(?!\w)")
# An article (or a part of a document) starts with one of these words.
ARTICLE_START = re.compile(r"^(?:Điều|Khoản|Phụ lục|Chương|Mục)(?:\s|$)")
# Inside an article: a document type, a common abbreviation of one, or a document number (07/2021/NĐ-CP).
DOCUMENT_IN_ARTICLE = re.compile(
    r"(?<!\w)(?:bộ luật|luật|nghị định|thông tư|quyết định|nghị quyết|BLLĐ|NĐ|QH|TT|QĐ|NQ)(?!\w)"
    r"|\d+/\d{4}/",
    re.IGNORECASE,
)


class ParameterError(ValueError):
    """A parameter file is malformed (missing reference, a reference naming two documents, unknown status...)."""


class NotInForce(LookupError):
    """No value of the parameter is in force on the requested day."""


@dataclass(frozen=True)
class Reference:
    """One legal document and the articles of it that back a parameter.

    A reference names exactly one document; a rule resting on a law and a decree has two references,
    so that every article is printed after the document it belongs to.
    """

    document: str
    articles: Tuple[str, ...]
    href: str
    valid_from: Optional[dt.date] = None
    valid_to: Optional[dt.date] = None
    note: str = ""

    def applies_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def citation(self) -> str:
        """``"<document>, <article 1>, <article 2>"`` (the document alone when it has no articles)."""
        return ", ".join((self.document, *self.articles))


@dataclass(frozen=True)
class Fact:
    """One value of a parameter with everything needed to quote it."""

    name: str
    value: Any
    unit: str
    label: str
    effective_from: dt.date
    effective_to: Optional[dt.date]
    references: Tuple[Reference, ...]
    uncertain: bool = False
    caution: str = ""
    kind: str = RULE

    @property
    def is_contact(self) -> bool:
        """A phone number, website or help line: a referral detail, never a legal basis."""
        return self.kind == CONTACT

    @property
    def basis(self) -> str:
        """The citations of the references, joined (for a contact: where the detail is published)."""
        return "; ".join(r.citation for r in self.references)

    @property
    def sources(self) -> List[str]:
        return [r.href for r in self.references]

    @property
    def since(self) -> str:
        return self.effective_from.strftime("%d/%m/%Y")


@dataclass
class Parameter:
    name: str
    description: str
    label: str
    unit: str
    status: str
    values: List[Tuple[dt.date, Any]]
    references: List[Reference]
    caution: str = ""
    uncertain_from: Optional[dt.date] = None
    file: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)
    kind: str = RULE

    def at(self, day: dt.date) -> Fact:
        current: Optional[Tuple[dt.date, Any]] = None
        end: Optional[dt.date] = None
        for i, (start, value) in enumerate(self.values):
            if start <= day:
                current = (start, value)
                end = (
                    self.values[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(self.values) else None
                )
        if current is None or current[1] is None:
            raise NotInForce(f"{self.name} has no value in force on {day.isoformat()}")
        refs = tuple(r for r in self.references if r.applies_on(day)) or tuple(self.references)
        uncertain = self.status == "uncertain" or (
            self.uncertain_from is not None and day >= self.uncertain_from
        )
        return Fact(
            name=self.name,
            value=current[1],
            unit=self.unit,
            label=self.label,
            effective_from=current[0],
            effective_to=end,
            references=refs,
            uncertain=uncertain,
            caution=self.caution if (self.uncertain_from is None or uncertain) else "",
            kind=self.kind,
        )

    def changes_between(self, start: dt.date, end: dt.date) -> List[dt.date]:
        return [d for d, _ in self.values if start < d <= end]


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParameterError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from exc


def _articles(raw: Any, where: str) -> Tuple[str, ...]:
    if raw is None or raw == "" or raw == []:
        return ()
    if isinstance(raw, str):
        raise ParameterError(f"{where}: 'articles' must be a list, e.g. [Điều 32 khoản 2, Điều 36 khoản 1]")
    if not isinstance(raw, (list, tuple)):
        raise ParameterError(f"{where}: 'articles' must be a list")
    articles = []
    for item in raw:
        article = str(item).strip() if item is not None else ""
        if not ARTICLE_START.match(article):
            raise ParameterError(
                f"{where}: article '{article}' must start with Điều, Khoản, Phụ lục, Chương or Mục"
            )
        if DOCUMENT_IN_ARTICLE.search(article):
            raise ParameterError(
                f"{where}: article '{article}' names a document; give that document its own reference"
            )
        articles.append(article)
    return tuple(articles)


def _reference(r: Any, kind: str, where: str) -> Reference:
    if not isinstance(r, dict):
        raise ParameterError(f"{where}: a reference must be a mapping with document, articles and href")
    for old in ("basis", "article"):
        if old in r:
            raise ParameterError(f"{where}: '{old}' is the old reference format; use document, articles, href")
    document = str(r.get("document") or "").strip()
    href = str(r.get("href") or "").strip()
    if not document:
        raise ParameterError(f"{where}: a reference has no 'document'")
    if not href:
        raise ParameterError(f"{where}: reference '{document}' has no 'href'")
    if ";" in document or len(DOCUMENT_TYPE.findall(document)) > 1:
        raise ParameterError(
            f"{where}: reference '{document}' names more than one document; give each document its own reference"
        )
    articles = _articles(r.get("articles"), f"{where}: {document}")
    note = str(r.get("note") or "").strip()
    # A rule cites articles; an explicit empty list is allowed only with a note saying why none is cited.
    if kind == RULE and not articles and not (r.get("articles") == [] and note):
        raise ParameterError(
            f"{where}: reference '{document}' has no 'articles'"
            " (an empty list needs a 'note' saying why no article is cited)"
        )
    unknown = set(r) - {"document", "articles", "href", "from", "to", "note"}
    if unknown:
        raise ParameterError(f"{where}: reference '{document}' has unknown keys {sorted(unknown)}")
    return Reference(
        document=document,
        articles=articles,
        href=href,
        valid_from=_as_date(r["from"], where) if r.get("from") else None,
        valid_to=_as_date(r["to"], where) if r.get("to") else None,
        note=note,
    )


def _parse(name: str, raw: Dict[str, Any], file: str) -> Parameter:
    where = f"{file}:{name}"
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: a parameter must be a mapping")
    for key in ("description", "label", "unit", "status", "values", "references"):
        if key not in raw or raw[key] in (None, "", [], {}):
            raise ParameterError(f"{where}: missing '{key}'")
    if raw["status"] not in STATUSES:
        raise ParameterError(f"{where}: status must be one of {sorted(STATUSES)}")
    kind = raw.get("kind", RULE)
    if kind not in KINDS:
        raise ParameterError(f"{where}: kind must be one of {list(KINDS)}")
    if not isinstance(raw["references"], list):
        raise ParameterError(f"{where}: 'references' must be a list")
    refs = [_reference(r, kind, where) for r in raw["references"]]
    values = sorted((_as_date(k, where), v) for k, v in raw["values"].items())
    if len({d for d, _ in values}) != len(values):
        raise ParameterError(f"{where}: duplicate effective date")
    extra = {k: v for k, v in raw.items() if k not in {
        "description", "label", "unit", "status", "values", "references", "caution", "uncertain_from", "kind"}}
    return Parameter(
        name=name,
        description=str(raw["description"]).strip(),
        label=str(raw["label"]),
        unit=str(raw["unit"]),
        status=raw["status"],
        values=values,
        references=refs,
        caution=str(raw.get("caution", "")).strip(),
        uncertain_from=_as_date(raw["uncertain_from"], where) if raw.get("uncertain_from") else None,
        file=file,
        extra=extra,
        kind=kind,
    )


def load(directory: Path = PARAMETER_DIR) -> Dict[str, Parameter]:
    """Load and validate every parameter file; raise ParameterError on the first defect."""
    params: Dict[str, Parameter] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, raw in data.items():
            if name in params:
                raise ParameterError(f"{path.name}:{name}: defined twice")
            params[name] = _parse(name, raw, path.name)
    return params


@lru_cache(maxsize=1)
def registry() -> Dict[str, Parameter]:
    return load()


def get(name: str, on: dt.date) -> Fact:
    """The fact named ``name`` in force on day ``on``."""
    try:
        parameter = registry()[name]
    except KeyError as exc:
        raise KeyError(f"unknown parameter '{name}'") from exc
    return parameter.at(on)


def value(name: str, on: dt.date) -> Any:
    return get(name, on).value
