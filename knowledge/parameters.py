"""Dated, referenced legal parameters.

Each parameter lives in a YAML file under ``knowledge/parameters/``. Its values are keyed by the date
they take effect (a ``null`` value ends the rule), and it carries the legal references that back it.
``get(name, on)`` returns the :class:`Fact` in force on a given day, so the rule that applies on a day
is a lookup, never an ``if`` on dates in code.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

PARAMETER_DIR = Path(__file__).with_name("parameters")
STATUSES = {"verified", "uncertain"}


class ParameterError(ValueError):
    """A parameter file is malformed (missing reference, unknown status, unsorted dates...)."""


class NotInForce(LookupError):
    """No value of the parameter is in force on the requested day."""


@dataclass(frozen=True)
class Reference:
    basis: str
    article: str
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
        return f"{self.basis}, {self.article}" if self.article else self.basis


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

    @property
    def basis(self) -> str:
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


def _parse(name: str, raw: Dict[str, Any], file: str) -> Parameter:
    where = f"{file}:{name}"
    for key in ("description", "label", "unit", "status", "values", "references"):
        if key not in raw or raw[key] in (None, "", [], {}):
            raise ParameterError(f"{where}: missing '{key}'")
    if raw["status"] not in STATUSES:
        raise ParameterError(f"{where}: status must be one of {sorted(STATUSES)}")
    refs = []
    for r in raw["references"]:
        if not r.get("basis") or not r.get("href") or not r.get("article"):
            raise ParameterError(f"{where}: every reference needs basis, article and href")
        refs.append(
            Reference(
                basis=str(r["basis"]),
                article=str(r["article"]),
                href=str(r["href"]),
                valid_from=_as_date(r["from"], where) if r.get("from") else None,
                valid_to=_as_date(r["to"], where) if r.get("to") else None,
                note=str(r.get("note", "")),
            )
        )
    values = sorted((_as_date(k, where), v) for k, v in raw["values"].items())
    if len({d for d, _ in values}) != len(values):
        raise ParameterError(f"{where}: duplicate effective date")
    extra = {k: v for k, v in raw.items() if k not in {
        "description", "label", "unit", "status", "values", "references", "caution", "uncertain_from"}}
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
