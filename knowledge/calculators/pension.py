"""Retirement age (Labour Code Art. 169(2) roadmap) and a pension estimate for voluntary SI."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from knowledge import parameters as P
from knowledge.calculators.plausible import (
    COMPARE_INCOME_FACTOR, EARLIEST_BIRTH_YEAR, MAX_INCOME_OPTIONS, MAX_YEARS_PAID, MIN_AGE_YEARS, RATE_DECIMALS,
)
from knowledge.errors import InvalidInput

GENDERS = ("male", "female")


@dataclass(frozen=True)
class RetirementAge:
    years: int
    months: int
    year: int  # calendar year and month in which the age is reached
    month: int

    @property
    def age_months(self) -> int:
        return self.years * 12 + self.months

    @property
    def pension_from(self) -> dt.date:
        """Pension starts on the first day of the month after the age is reached (Law 41/2024 Art. 101)."""
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return dt.date(y, m, 1)


def _add_months(year: int, month: int, months: int) -> Tuple[int, int]:
    total = year * 12 + (month - 1) + months
    return total // 12, total % 12 + 1


def roadmap_age_months(gender: str, year: int, on: dt.date) -> int:
    """Normal retirement age (in months) for someone reaching it in calendar ``year``."""
    rule = P.value("retirement_age_roadmap", on)
    g = rule[gender]
    if year < rule["start_year"]:
        # The age in force the year before the roadmap began is its first step back (60 men, 55 women).
        return g["start_months"] - g["step_months"]
    return min(g["start_months"] + g["step_months"] * (year - rule["start_year"]), g["final_months"])


def final_age_months(gender: str, on: dt.date) -> int:
    return P.value("retirement_age_roadmap", on)[gender]["final_months"]


def retirement_age(gender: str, birth_year: int, birth_month: int, on: dt.date) -> RetirementAge:
    if gender not in GENDERS:
        raise InvalidInput("gender", "missing")
    if not 1 <= birth_month <= 12:
        raise InvalidInput("birth", "bad_month", value=birth_month)
    if not EARLIEST_BIRTH_YEAR <= birth_year <= on.year - MIN_AGE_YEARS:
        raise InvalidInput("birth", "bad_year", value=birth_year, minimum=EARLIEST_BIRTH_YEAR, maximum=on.year - MIN_AGE_YEARS)
    start_year = P.value("retirement_age_roadmap", on)["start_year"]

    def age_in(year: int) -> int:
        return roadmap_age_months(gender, year, on)

    # The age stops rising at final_months, so the loop ends by the year the final age is reached.
    year = start_year - 1
    while True:
        age_months = age_in(year)
        reach_year, reach_month = _add_months(birth_year, birth_month, age_months)
        if reach_year <= year:
            return RetirementAge(age_months // 12, age_months % 12, reach_year, reach_month)
        year += 1


def pension_rate(gender: str, years: int, on: dt.date) -> float:
    """Rate of the average income for ``years`` whole years of contributions (0 below the minimum)."""
    rule = P.value("pension_rate", on)
    minimum = P.value("pension_min_years", on)
    if years < minimum:
        return 0.0
    g = rule[gender]
    if gender == "male" and years < g["bridge_until_years"]:
        rate = g["base_rate"] + g["bridge_step"] * (years - g["base_years"])
    elif gender == "male":
        rate = g["base_rate"] + g["bridge_step"] * (g["bridge_until_years"] - g["base_years"])
        rate += rule["step_per_year"] * (years - g["bridge_until_years"])
    else:
        rate = g["base_rate"] + rule["step_per_year"] * (years - g["base_years"])
    return round(min(rate, rule["max_rate"]), RATE_DECIMALS)


@dataclass(frozen=True)
class PensionOption:
    income: int
    monthly_pension: int


@dataclass(frozen=True)
class PensionEstimate:
    on: dt.date
    gender: str
    retirement: RetirementAge  # the age that applies to this person (transitional rule included)
    normal_retirement: RetirementAge  # the Labour Code roadmap age
    transitional: bool  # retires earlier under Law 41/2024 Art. 141(9) (voluntary SI before 2021, 20+ years)
    past_retirement: bool  # the retirement age is already reached
    age_months: int  # the person's age today, in months
    years_paid: float
    years_at_retirement: int
    min_years: int
    eligible: bool
    pension_from: Optional[dt.date]  # first day of the pension when eligible (never before the rule grants it)
    years_missing: int
    can_pay_shortfall: bool
    shortfall_max_months: int
    complete_at_age_months: Optional[int]  # the age at which paying on from today reaches the minimum
    social_pension_age: int
    social_pension_age_poor: int
    rate: float
    options: Tuple[PensionOption, ...]
    facts: tuple = field(repr=False)


def _months_between(a: Tuple[int, int], b: Tuple[int, int]) -> int:
    return (b[0] - a[0]) * 12 + (b[1] - a[1])


def estimate(
    on: dt.date,
    gender: str,
    birth_year: int,
    birth_month: int,
    years_paid: float,
    incomes: Sequence[int],
    keep_paying: bool = True,
    joined_year: Optional[int] = None,
    voluntary_years: Optional[float] = None,
) -> PensionEstimate:
    """Estimate (no CPI revaluation) of the monthly pension for each average income in ``incomes``.

    ``joined_year`` and ``voluntary_years`` (years of voluntary contributions so far) let the transitional
    rule of Law 41/2024 Art. 141(9) apply: joined voluntary SI before it and 20+ voluntary years -> the
    earlier retirement age it sets.
    """
    if years_paid is None or years_paid < 0 or years_paid > MAX_YEARS_PAID:
        raise InvalidInput("years_paid", "out_of_range", value=years_paid, minimum=0, maximum=MAX_YEARS_PAID)
    if not incomes:
        raise InvalidInput("income", "missing")
    normal = retirement_age(gender, birth_year, birth_month, on)
    today = (on.year, on.month)
    age_months = _months_between((birth_year, birth_month), today)
    minimum_f = P.get("pension_min_years", on)
    minimum = minimum_f.value
    facts = [P.get(n, on) for n in ("retirement_age_roadmap", "pension_rate", "vsi_shortfall_max_months")] + [minimum_f]
    ret, transitional = normal, False
    early_f = P.get("vsi_early_retirement_transitional", on)
    early = early_f.value
    joined_before = dt.date.fromisoformat(str(early["joined_before"]))
    voluntary = years_paid if voluntary_years is None else voluntary_years
    if joined_year is not None and dt.date(int(joined_year), 1, 1) < joined_before:
        months = early[gender] * 12
        reach = _add_months(birth_year, birth_month, months)
        months_to_reach = max(0, _months_between(today, reach))
        voluntary_then = voluntary * 12 + (months_to_reach if keep_paying else 0)
        if voluntary_then >= early["min_years"] * 12 and months < normal.age_months:
            ret, transitional = RetirementAge(months // 12, months % 12, reach[0], reach[1]), True
            facts.append(early_f)
    months_left = max(0, _months_between(today, (ret.year, ret.month))) if keep_paying else 0
    total_years = int((years_paid * 12 + months_left) // 12)
    missing = max(0, minimum - total_years)
    shortfall_cap = P.value("vsi_shortfall_max_months", on)
    past = _months_between(today, (ret.year, ret.month)) <= 0
    pension_from = None
    if missing == 0:
        # The month after both conditions are met, and never before the rule in force grants it.
        pension_from = max(ret.pension_from, minimum_f.effective_from, early_f.effective_from if transitional else ret.pension_from)
        if past:
            pension_from = max(pension_from, dt.date(on.year, on.month, 1))
    complete_at = age_months + missing * 12 if (past and missing and keep_paying) else None
    social = P.get("social_pension_age", on)
    facts.append(social)
    rate = pension_rate(gender, total_years, on)
    options = tuple(PensionOption(int(i), int(round(i * rate))) for i in incomes)
    return PensionEstimate(
        on=on,
        gender=gender,
        retirement=ret,
        normal_retirement=normal,
        transitional=transitional,
        past_retirement=past,
        age_months=age_months,
        years_paid=years_paid,
        years_at_retirement=total_years,
        min_years=minimum,
        eligible=missing == 0,
        pension_from=pension_from,
        years_missing=missing,
        can_pay_shortfall=0 < missing * 12 <= shortfall_cap,
        shortfall_max_months=shortfall_cap,
        complete_at_age_months=complete_at,
        social_pension_age=social.value["general"],
        social_pension_age_poor=social.value["poor_or_near_poor"],
        rate=rate,
        options=options,
        facts=tuple(facts),
    )


def default_income_choices(on: dt.date, chosen: Optional[int] = None) -> List[int]:
    """Two or three incomes to compare side by side: the minimum, the user's, and a higher one."""
    from knowledge.calculators.vsi import income_range

    rng = income_range(on)
    choices = {rng.minimum}
    if chosen:
        choices.add(chosen)
    choices.add(min(rng.maximum, max(rng.minimum, chosen or 0) * COMPARE_INCOME_FACTOR))
    return sorted(choices)[:MAX_INCOME_OPTIONS]
