"""One spec per calculator: its typed inputs, the pure computation, and the content that shows it.

A spec says which inputs a calculator needs and of what kind (the dialogue fills them from the
conversation and asks for the first one missing, with the prompt ``calc.<name>.ask.<input>``); its
``compute`` is a pure function of (day, inputs) returning a dataclass or raising
:class:`~knowledge.errors.InvalidInput` naming the field and the limits; the result is shown by the
content entry ``calc.<name>.result``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from knowledge.calculators import health, pension, unemployment, vsi

# Kinds of value an input takes; the dialogue knows how to read each from a message.
KINDS = ("amount", "group", "period", "people", "months", "years", "region", "gender", "birth", "hi_group", "count", "year")


@dataclass(frozen=True)
class Input:
    name: str
    kind: str
    required: bool = True
    # When not required, asked only if the computation says it is needed (InvalidInput code "needed").

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"input {self.name}: unknown kind {self.kind!r}")


def no_check(on: dt.date, inputs: Mapping[str, Any]) -> None:
    """Nothing to check before all inputs are there."""


@dataclass(frozen=True)
class CalculatorSpec:
    name: str
    inputs: Tuple[Input, ...]
    compute: Callable[[dt.date, Mapping[str, Any]], Any]
    # Checks the inputs given so far (raising InvalidInput), so a wrong one is said before the next question.
    check: Callable[[dt.date, Mapping[str, Any]], None] = no_check

    @property
    def view(self) -> str:
        return f"{self.name}_result"

    @property
    def result_entry(self) -> str:
        return f"calc.{self.name}.result"

    @property
    def rule_entry(self) -> str:
        """The rule said once, before the first question, when the calculator starts."""
        return f"calc.{self.name}.rule"

    def prompt_entry(self, input_name: str) -> str:
        return f"calc.{self.name}.ask.{input_name}"

    def input(self, name: str) -> Input:
        return next(i for i in self.inputs if i.name == name)

    @property
    def required(self) -> Tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.required)

    def missing(self, values: Mapping[str, Any]) -> Optional[str]:
        """The first required input without a value."""
        return next((n for n in self.required if values.get(n) in (None, "")), None)


def vsi_result(on: dt.date, i: Mapping[str, Any]) -> vsi.VsiQuote:
    return vsi.quote(on, int(i["income"]), [i.get("group") or "other"], int(i["period"]))


def vsi_check(on: dt.date, i: Mapping[str, Any]) -> None:
    if i.get("income") is not None:
        vsi.check_income(on, int(i["income"]))


def hi_result(on: dt.date, i: Mapping[str, Any]) -> health.HouseholdQuote:
    return health.household(on, int(i["people"]), group=i.get("hi_group"), children_under_6=int(i.get("children") or 0),
                            covered_elsewhere=int(i.get("covered") or 0))


def ui_result(on: dt.date, i: Mapping[str, Any]) -> unemployment.UnemploymentQuote:
    return unemployment.benefit(on, int(i["wage"]), int(i["months"]), i.get("region"))


def pension_result(on: dt.date, i: Mapping[str, Any]) -> pension.PensionEstimate:
    birth = i["birth"]
    incomes = pension.default_income_choices(on, i.get("income"))
    return pension.estimate(
        on, i["gender"], int(birth["year"]), int(birth.get("month") or 1), float(i["years_paid"]), incomes,
        joined_year=i.get("joined_year"), voluntary_years=i.get("voluntary_years"),
    )


SPECS: Dict[str, CalculatorSpec] = {
    s.name: s
    for s in (
        CalculatorSpec("vsi", (Input("income", "amount"), Input("group", "group"), Input("period", "period")), vsi_result,
                       vsi_check),
        CalculatorSpec(
            "hi", (Input("people", "people"), Input("hi_group", "hi_group", required=False),
                   Input("children", "count", required=False), Input("covered", "count", required=False)), hi_result,
        ),
        CalculatorSpec(
            "ui", (Input("wage", "amount"), Input("months", "months"), Input("region", "region", required=False)), ui_result
        ),
        CalculatorSpec(
            "pension",
            (Input("gender", "gender"), Input("birth", "birth"), Input("years_paid", "years"),
             Input("income", "amount", required=False), Input("joined_year", "year", required=False),
             Input("voluntary_years", "years", required=False)),
            pension_result,
        ),
    )
}
