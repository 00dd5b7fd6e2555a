"""Referral directory: the four offices a worker is referred to in each of the 34 provincial units.

Data: ``knowledge/data/provinces.json`` (a copy of the project's researched directory). Contact details
are shown only where the directory cites a source and does not flag the value for verification.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from knowledge.errors import UnknownProvince
from knowledge.text import fold

DATA = Path(__file__).with_name("data") / "provinces.json"

OFFICE_KINDS = ("social_insurance", "legal_aid", "labour_federation", "employment_centre")
# Which offices fit which problem, most useful first.
PROBLEM_OFFICES = {
    "insurance": ("social_insurance", "legal_aid"),
    "dispute": ("legal_aid", "labour_federation"),
    "unemployment": ("employment_centre", "social_insurance"),
}
# Everyday names people use that are not in the directory.
EXTRA_ALIASES = {
    "TP Hồ Chí Minh": ["hồ chí minh", "hcm", "tphcm", "tp hcm", "tp.hcm", "sài gòn", "sai gon", "sg", "thành phố hồ chí minh"],
    "Hà Nội": ["hn", "ha noi", "thủ đô hà nội"],
    "Huế": ["thừa thiên huế", "thua thien hue", "tt huế"],
    "Đắk Lắk": ["daklak", "dac lac", "đắc lắc"],
}
_EXTRA_FORMER = {
    "Bà Rịa - Vũng Tàu": ["vũng tàu", "bà rịa", "brvt"],
    "Đắk Nông": ["daknong", "đắc nông"],
}


@dataclass(frozen=True)
class Office:
    kind: str
    name: str
    address: str
    phone: str
    source: str


@dataclass(frozen=True)
class Province:
    name: str
    unit_type: str
    former: Tuple[str, ...]
    offices: Tuple[Office, ...]

    def is_city(self, on: dt.date) -> bool:
        """Whether the unit is a centrally-run city on day ``on`` (Đồng Nai from 30/04/2026...)."""
        from knowledge import parameters as P

        return self.name in P.value("centrally_run_cities", on)

    def city_fact(self, on: dt.date):
        from knowledge import parameters as P

        return P.get("centrally_run_cities", on)

    def office(self, kind: str) -> Office:
        return next(o for o in self.offices if o.kind == kind)


def _trusted(value: str) -> str:
    """Keep a contact value only when it is not flagged for verification in the directory."""
    value = (value or "").strip()
    return "" if not value or "verify" in value.lower() else value


def _office(kind: str, raw: Dict) -> Office:
    source = raw.get("source") or ""
    return Office(
        kind=kind,
        name=raw.get("name") or "",
        address=_trusted(raw.get("address", "")) if source else "",
        phone=_trusted(raw.get("phone", "")) if source else "",
        source=source,
    )


@lru_cache(maxsize=1)
def provinces() -> Tuple[Province, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    result = []
    for p in data["provinces"]:
        offices = tuple(_office(k, p.get(k) or {}) for k in OFFICE_KINDS)
        result.append(Province(p["province"], p.get("unit_type") or "tỉnh", tuple(p.get("former_provinces") or ()), offices))
    return tuple(result)


def _key(text: str) -> str:
    text = fold(text).replace("-", " ").replace(".", " ")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def alias_index() -> Dict[str, Tuple[str, bool]]:
    """folded alias -> (current province name, alias is a former province)."""
    index: Dict[str, Tuple[str, bool]] = {}
    for p in provinces():
        names = [p.name, p.name.replace("TP ", "")] + EXTRA_ALIASES.get(p.name, [])
        for n in names:
            index[_key(n)] = (p.name, False)
        for former in p.former:
            for n in [former] + _EXTRA_FORMER.get(former, []):
                index.setdefault(_key(n), (p.name, True))
    return index


def find(name: str) -> Province:
    """Current province for a current or former name, with or without diacritics."""
    key = _key(name)
    for prefix in ("thanh pho ", "tp ", "tinh "):
        if key.startswith(prefix) and key[len(prefix):] in alias_index():
            key = key[len(prefix):]
    hit = alias_index().get(key)
    if not hit:
        raise UnknownProvince(name)
    return by_name(hit[0])


def by_name(name: str) -> Province:
    for p in provinces():
        if p.name == name:
            return p
    raise UnknownProvince(name)


def former_name(name: str) -> Optional[str]:
    """The former province ``name`` stands for, spelled as the directory spells it ("long an" -> "Long An")."""
    key = _key(name)
    for p in provinces():
        for former in p.former:
            if key in {_key(n) for n in [former] + _EXTRA_FORMER.get(former, [])}:
                return former
    return None


def was_merged(name: str) -> Optional[str]:
    """If ``name`` is a former province, the current unit it is part of."""
    hit = alias_index().get(_key(name))
    return hit[0] if hit and hit[1] else None


def offices_for(province: Province, problem: str) -> List[Office]:
    kinds = PROBLEM_OFFICES.get(problem, PROBLEM_OFFICES["dispute"])
    return [province.office(k) for k in kinds]

