"""Unemployment benefit (Law on Employment 74/2025, Art. 38–39)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from knowledge import parameters as P
from knowledge.calculators.plausible import MAX_MONTHLY_WAGE, MAX_MONTHS_PAID
from knowledge.errors import InvalidInput
from knowledge.money import round_dong

REGIONS = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class UnemploymentQuote:
    on: dt.date
    average_wage: int
    months_contributed: int
    region: Optional[str]
    eligible: bool
    rate: float
    monthly: int
    uncapped: int
    cap: Optional[int]
    capped: bool
    months: int
    min_months: int
    window_months: int
    filing_months: int
    start_working_day: int
    facts: tuple = field(repr=False)

    @property
    def total(self) -> int:
        return self.monthly * self.months


def duration_months(months_contributed: int, on: dt.date) -> int:
    rule = P.value("ui_duration", on)
    if months_contributed < rule["min_months"]:
        return 0
    extra = max(0, months_contributed - rule["base_until_months"]) // rule["step_months"]
    return min(rule["base_months"] + extra, rule["max_months"])


def needs_region(on: dt.date, average_wage: int) -> bool:
    """True when the cap could bind for some region, so the region changes the answer."""
    rate = P.value("ui_benefit_rate", on)
    multiple = P.value("ui_benefit_cap_multiple", on)
    lowest_cap = multiple * min(P.value("regional_minimum_wage", on).values())
    return average_wage * rate > lowest_cap


def benefit(on: dt.date, average_wage: int, months_contributed: int, region: Optional[str] = None) -> UnemploymentQuote:
    if average_wage is None or average_wage <= 0:
        raise InvalidInput("wage", "missing")
    if average_wage > MAX_MONTHLY_WAGE:
        raise InvalidInput("wage", "implausible", value=average_wage)
    if months_contributed is None or months_contributed < 0 or months_contributed > MAX_MONTHS_PAID:
        raise InvalidInput("months", "out_of_range", value=months_contributed, minimum=0, maximum=MAX_MONTHS_PAID)
    if region is not None and region not in REGIONS:
        raise InvalidInput("region", "unknown", value=region, allowed=REGIONS)
    cap_f = P.get("ui_benefit_cap_multiple", on)
    if region is None and needs_region(on, average_wage):
        raise InvalidInput("region", "needed", multiple=cap_f.value, allowed=REGIONS)
    rate_f = P.get("ui_benefit_rate", on)
    wage_f = P.get("regional_minimum_wage", on)
    elig_f = P.get("ui_eligibility", on)
    dur_f = P.get("ui_duration", on)
    uncapped = round_dong(average_wage * rate_f.value)
    cap = int(cap_f.value * wage_f.value[region]) if region else None
    monthly = min(uncapped, cap) if cap else uncapped
    months = duration_months(months_contributed, on)
    return UnemploymentQuote(
        on=on,
        average_wage=int(average_wage),
        months_contributed=int(months_contributed),
        region=region,
        eligible=months > 0,
        rate=rate_f.value,
        monthly=monthly if months else 0,
        uncapped=uncapped,
        cap=cap,
        capped=bool(cap and uncapped > cap),
        months=months,
        min_months=elig_f.value["min_months"],
        window_months=elig_f.value["window_months"],
        filing_months=elig_f.value["filing_months"],
        start_working_day=elig_f.value["start_working_day"],
        facts=(rate_f, cap_f, wage_f, elig_f, dur_f),
    )
