"""Retirement age (Labour Code Art. 169(2) roadmap) and a pension estimate for voluntary SI."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from knowledge import parameters as P
from knowledge.errors import InvalidInput

GENDERS = ("male", "female")


@dataclass(frozen=True)
class RetirementAge:
    years: int
    months: int
    year: int  # calendar year and month in which the age is reached
    month: int

    @property
    def text(self) -> str:
        return f"{self.years} tuổi" + (f" {self.months} tháng" if self.months else "")

    @property
    def pension_from(self) -> dt.date:
        """Pension starts on the first day of the month after the age is reached (Law 41/2024 Art. 101)."""
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return dt.date(y, m, 1)


def _add_months(year: int, month: int, months: int) -> Tuple[int, int]:
    total = year * 12 + (month - 1) + months
    return total // 12, total % 12 + 1


def retirement_age(gender: str, birth_year: int, birth_month: int, on: dt.date) -> RetirementAge:
    if gender not in GENDERS:
        raise InvalidInput("gender", "Anh/chị cho tôi biết giới tính (nam hay nữ) để tính tuổi nghỉ hưu.")
    if not 1 <= birth_month <= 12:
        raise InvalidInput("birth_month", "Tháng sinh phải từ 1 đến 12.")
    if not 1930 <= birth_year <= on.year - 15:
        raise InvalidInput("birth_year", "Năm sinh chưa hợp lệ, anh/chị kiểm tra lại giúp tôi (ví dụ: 1975).")
    rule = P.value("retirement_age_roadmap", on)
    g = rule[gender]
    start_year = rule["start_year"]
    before = {"male": 720, "female": 660}[gender]  # 60 and 55 before the roadmap started

    def age_in(year: int) -> int:
        if year < start_year:
            return before
        return min(g["start_months"] + g["step_months"] * (year - start_year), g["final_months"])

    for year in range(start_year - 1, start_year + 40):
        age_months = age_in(year)
        reach_year, reach_month = _add_months(birth_year, birth_month, age_months)
        if reach_year <= year:
            return RetirementAge(age_months // 12, age_months % 12, reach_year, reach_month)
    raise AssertionError("roadmap exhausted")  # pragma: no cover


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
    return round(min(rate, rule["max_rate"]), 4)


@dataclass(frozen=True)
class PensionOption:
    income: int
    monthly_pension: int


@dataclass(frozen=True)
class PensionEstimate:
    on: dt.date
    gender: str
    retirement: RetirementAge
    years_paid: float
    years_at_retirement: int
    min_years: int
    eligible: bool
    years_missing: int
    can_pay_shortfall: bool
    rate: float
    options: Tuple[PensionOption, ...]
    facts: tuple


def estimate(
    on: dt.date,
    gender: str,
    birth_year: int,
    birth_month: int,
    years_paid: float,
    incomes: Sequence[int],
    keep_paying: bool = True,
) -> PensionEstimate:
    """Estimate (no CPI revaluation) of the monthly pension for each average income in ``incomes``."""
    if years_paid is None or years_paid < 0 or years_paid > 60:
        raise InvalidInput("years_paid", "Số năm đã đóng phải từ 0 đến 60 năm.")
    if not incomes:
        raise InvalidInput("income", "Anh/chị cho tôi biết mức thu nhập bình quân đã/sẽ chọn để đóng.")
    ret = retirement_age(gender, birth_year, birth_month, on)
    months_left = max(0, (ret.year - on.year) * 12 + (ret.month - on.month)) if keep_paying else 0
    total_years = int((years_paid * 12 + months_left) // 12)
    minimum = P.value("pension_min_years", on)
    missing = max(0, minimum - total_years)
    shortfall_cap = P.value("vsi_shortfall_max_months", on)
    rate = pension_rate(gender, total_years, on)
    options = tuple(PensionOption(int(i), int(round(i * rate))) for i in incomes)
    facts = tuple(
        P.get(n, on)
        for n in ("retirement_age_roadmap", "pension_min_years", "pension_rate", "vsi_shortfall_max_months")
    )
    return PensionEstimate(
        on=on,
        gender=gender,
        retirement=ret,
        years_paid=years_paid,
        years_at_retirement=total_years,
        min_years=minimum,
        eligible=missing == 0,
        years_missing=missing,
        can_pay_shortfall=0 < missing * 12 <= shortfall_cap,
        rate=rate,
        options=options,
        facts=facts,
    )


def default_income_choices(on: dt.date, chosen: Optional[int] = None) -> List[int]:
    """Two or three incomes to compare side by side: the minimum, the user's, and a higher one."""
    from knowledge.calculators.vsi import income_range

    rng = income_range(on)
    choices = {rng.minimum}
    if chosen:
        choices.add(chosen)
    choices.add(min(rng.maximum, max(rng.minimum * 2, (chosen or 0) * 2)))
    return sorted(choices)[:3]
