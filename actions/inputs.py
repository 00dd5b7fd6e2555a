"""Reading a calculator's inputs from a message: its entities, or a bare answer to the question asked.

Each input has a kind (``knowledge.calculators.specs.KINDS``); a reader per kind takes the value from
the entities the NLU found, and, when the bot has just asked for that input, from a bare answer such as
"5", "nam", "vùng 2" or "không".
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Mapping, Optional

from bot.parsing import parse_birth
from knowledge.calculators import vsi
from knowledge.calculators.specs import CalculatorSpec
from knowledge.text import fold

NONE_ANSWERS = {"khong", "ko", "k", "khong co", "khong thuoc", "khong a", "ko co", "khong thuoc nhom nao",
                "ko thuoc nhom nao", "binh thuong", "khong phai", "ko phai"}
NOT_YET = {"chua", "chua dong", "khong", "ko", "chua dong ngay nao", "chua tung dong"}
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV"}


def first(entities: List[Mapping[str, Any]], name: str) -> Any:
    return next((e.get("value") for e in entities if e.get("entity") == name), None)


def bare_number(text: str) -> Optional[float]:
    m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(?:nam|thang|nguoi)?\s*[.!]*\s*", fold(text))
    return float(m.group(1).replace(",", ".")) if m else None


def _read(kind: str, name: str, text: str, entities: List[Mapping[str, Any]], asked: bool, today: dt.date) -> Any:
    folded = fold(text).strip(" .!?")
    if kind == "amount":
        return first(entities, "amount")
    if kind == "group":
        group = first(entities, "group")
        if group:
            return group
        return "other" if asked and folded in NONE_ANSWERS else None
    if kind == "period":
        period = first(entities, "period")
        if period:
            return int(period)
        periods = vsi.payment_periods(today)
        duration, number = first(entities, "duration"), bare_number(text)
        if asked and duration in periods:
            return int(duration)
        if asked and number in periods:
            return int(number)
        return None
    if kind == "people":
        people = first(entities, "people")
        if people:
            return int(people)
        number = bare_number(text)
        return int(number) if asked and number else None
    if kind == "months":
        duration = first(entities, "duration")
        if duration is not None:
            return int(duration)
        number = bare_number(text)
        return int(number) if asked and number is not None else None
    if kind == "years":
        duration = first(entities, "duration")
        if duration is not None and (int(duration) % 12 == 0 or asked):
            return int(duration) / 12
        number = bare_number(text)
        if asked and number is not None:
            return number
        return 0 if asked and folded in NOT_YET else None
    if kind == "region":
        region = first(entities, "region")
        if region:
            return region
        m = re.fullmatch(r"(?:vung\s*)?(iv|iii|ii|i|1|2|3|4)", folded)
        return ROMAN[m.group(1)] if asked and m else None
    if kind == "gender":
        gender = first(entities, "gender")
        if gender:
            return gender
        if asked and folded in {"nam", "nu", "trai", "gai", "dan ong", "dan ba", "phu nu", "con trai", "con gai"}:
            return "male" if folded in {"nam", "trai", "dan ong", "con trai"} else "female"
        return None
    if kind == "birth":
        birth, age = first(entities, "birth"), first(entities, "age")
        if birth:
            year, month = parse_birth(birth)
            return {"year": year, "month": month or 1}
        if age:
            return {"year": today.year - int(age), "month": today.month}
        m = re.search(r"(?:(\d{1,2})\s*[/.-]\s*)?((?:19|20)\d\d)", folded)
        return {"year": int(m.group(2)), "month": int(m.group(1) or 1)} if asked and m else None
    raise ValueError(f"no reader for kind {kind!r}")  # pragma: no cover - specs are checked


def read_inputs(spec: CalculatorSpec, text: str, entities: List[Mapping[str, Any]], asked: Optional[str],
                today: dt.date) -> Dict[str, Any]:
    """The values of ``spec``'s inputs this message gives."""
    got: Dict[str, Any] = {}
    for item in spec.inputs:
        value = _read(item.kind, item.name, text, entities, asked == item.name, today)
        if value is not None:
            got[item.name] = value
    return got
