"""A calculator's inputs from the person's situation (bot/situation.py), remembered across messages.

Each message is read into the conversation's :class:`~bot.situation.Situation`; a calculator takes the
inputs it needs from there, so what the user said once ("nam", "4 người", "không thuộc nhóm nào") is not
asked again, and a correction or a follow-up ("à nhầm, 4 người", "còn 12 triệu thì sao?") changes one value.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Mapping, Optional

from bot import situation as S
from knowledge.calculators import vsi
from knowledge.calculators.specs import CalculatorSpec


def first(entities: List[Mapping[str, Any]], name: str) -> Any:
    return next((e.get("value") for e in entities if e.get("entity") == name), None)


def known_inputs(sit: S.Situation, today: dt.date) -> Dict[str, Any]:
    """Every calculator input the situation gives, under the calculators' input names."""
    out = S.calculator_inputs(sit)
    out.pop("province", None)  # a place, not a calculator input (the dialogue reads it apart)
    if "income" not in out and sit.monthly_income:
        out["income"] = sit.monthly_income  # a real income, proposed as the income chosen to contribute on
    if sit.monthly_income and ("wage" not in out or _said_later(sit, "monthly_income", "wage_for_unemployment")):
        out["wage"] = sit.monthly_income  # "còn lương 12 triệu thì sao?" after an unemployment quote
    if sit.months_paid is not None and ("months" not in out or _said_later(sit, "months_paid", "months_paid_unemployment")):
        out["months"] = sit.months_paid  # "nếu chỉ đóng 10 tháng thì sao?" after an unemployment quote
    if "birth" not in out and sit.age:
        out["birth"] = {"year": today.year - int(sit.age), "month": today.month}
    if sit.household_groups:
        out["hi_group"] = hi_group(sit.household_groups)
    if sit.children_under_6:
        out["children"] = int(sit.children_under_6)
    if sit.joined_year:
        out["joined_year"] = int(sit.joined_year)
    if sit.months_paid_voluntary is not None:
        out["voluntary_years"] = sit.months_paid_voluntary / 12
    if sit.members_covered_elsewhere:
        out["covered"] = int(sit.members_covered_elsewhere)
    groups = out.get("group")
    if groups is not None:
        rates = vsi.groups(today)
        candidates = [g for g in ([groups] if isinstance(groups, str) else groups) if g in rates]
        out["group"] = vsi.best_group(candidates, today) if candidates else "other"
    return out


# The household group that decides the BHYT rule, most favourable first (bot/situation.py's group keys).
HI_GROUP_ORDER = ("poor", "island", "near_poor", "farm_average")


def hi_group(groups) -> str:
    return next((g for g in HI_GROUP_ORDER if g in groups), "other")


def _said_later(sit: S.Situation, a: str, b: str) -> bool:
    """Whether field ``a`` was said after field ``b`` (the situation keeps the order fields were said in)."""
    recent = list(sit.recent)
    return a in recent and (b not in recent or recent.index(a) > recent.index(b))


def inputs_for(spec: CalculatorSpec, values: Mapping[str, Any]) -> Dict[str, Any]:
    names = {i.name for i in spec.inputs}
    return {k: v for k, v in values.items() if k in names}


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> Dict[str, Any]:
    """Inputs this message gave or changed."""
    return {k: v for k, v in after.items() if before.get(k) != v}

