"""Who may take social insurance as a one-time payment after 01/07/2025 (Law 41/2024 Art. 70, 102)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from knowledge import parameters as P

CASES = ("retirement_under_minimum", "emigration", "serious_illness", "severe_disability", "transitional")


@dataclass(frozen=True)
class WithdrawalCheck:
    cases: List[str]
    support_refunded: bool
    facts: tuple

    @property
    def eligible(self) -> bool:
        return bool(self.cases)


def check(
    on: dt.date,
    years_paid: float,
    reached_retirement_age: bool = False,
    emigrating: bool = False,
    serious_illness: bool = False,
    disability_81: bool = False,
    paid_before_cutoff: Optional[bool] = None,
    months_without_contributing: int = 0,
) -> WithdrawalCheck:
    """Which of the five cases apply; State support is deducted except for illness/disability."""
    rule = P.value("lump_sum_transitional", on)
    minimum = P.value("pension_min_years", on)
    cases = []
    if reached_retirement_age and years_paid < minimum:
        cases.append("retirement_under_minimum")
    if emigrating:
        cases.append("emigration")
    if serious_illness:
        cases.append("serious_illness")
    if disability_81:
        cases.append("severe_disability")
    if (
        paid_before_cutoff
        and months_without_contributing >= rule["months_without_contributing"]
        and years_paid < rule["max_years"]
    ):
        cases.append("transitional")
    refunded = not (serious_illness or disability_81)
    facts = (P.get("lump_sum_transitional", on), P.get("lump_sum_withdrawal_multiples", on))
    return WithdrawalCheck(cases, refunded, facts)
