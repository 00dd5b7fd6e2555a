"""Household health insurance (BHYT hộ gia đình): contribution per member and card validity."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional, Tuple

from knowledge import parameters as P
from knowledge.calculators.plausible import MAX_HOUSEHOLD_MEMBERS
from knowledge.errors import InvalidInput
from knowledge.money import round_dong


@dataclass(frozen=True)
class LadderRow:
    position: int
    amount: int
    count: int


@dataclass(frozen=True)
class HouseholdQuote:
    on: dt.date
    members: int
    period_months: int
    periods: Tuple[int, ...]
    base_salary: int
    per_member_month: Tuple[int, ...]
    facts: tuple = field(repr=False)

    @property
    def total_month(self) -> int:
        return sum(self.per_member_month)

    @property
    def total_period(self) -> int:
        return self.total_month * self.period_months

    @property
    def ladder_rows(self) -> Tuple["LadderRow", ...]:
        """Members grouped by what each pays: (first position, amount, how many)."""
        rows: list = []
        for position, amount in enumerate(self.per_member_month, start=1):
            if rows and rows[-1].amount == amount:
                rows[-1] = LadderRow(rows[-1].position, amount, rows[-1].count + 1)
            else:
                rows.append(LadderRow(position, amount, 1))
        return tuple(rows)

    @property
    def totals_by_period(self) -> Tuple[Tuple[int, int], ...]:
        return tuple((m, self.total_month * m) for m in self.periods)


def household(on: dt.date, members: int, period_months: Optional[int] = None) -> HouseholdQuote:
    """Contribution of ``members`` household members who need a card (those covered elsewhere don't count)."""
    if members is None or members < 1:
        raise InvalidInput("people", "too_few", value=members, minimum=1)
    if members > MAX_HOUSEHOLD_MEMBERS:
        raise InvalidInput("people", "too_many", value=members, maximum=MAX_HOUSEHOLD_MEMBERS)
    periods_f = P.get("hi_payment_periods", on)
    periods = tuple(periods_f.value)
    period_months = max(periods) if period_months is None else period_months
    if period_months not in periods:
        raise InvalidInput("hi_period", "unknown", value=period_months, allowed=periods)
    base = P.get("base_salary", on)
    rate = P.get("hi_household_rate", on)
    ladder = P.get("hi_household_ladder", on)
    first = base.value * rate.value
    shares = [ladder.value[min(i, len(ladder.value) - 1)] for i in range(members)]
    per_member = tuple(round_dong(first * s) for s in shares)
    return HouseholdQuote(on, members, period_months, periods, int(base.value), per_member, (base, rate, ladder, periods_f))


@dataclass(frozen=True)
class CardValidity:
    valid_from: dt.date
    waiting_applies: bool
    wait_days: int


def card_valid_from(paid_on: dt.date, first_time: bool, gap_days: Optional[int] = None) -> CardValidity:
    """Day a household card takes effect: after the waiting period for a first card or after a long gap."""
    rule = P.value("hi_waiting_period", paid_on)
    if gap_days is not None and gap_days < 0:
        raise InvalidInput("gap_days", "negative", value=gap_days)
    waiting = first_time or (gap_days is not None and gap_days >= rule["gap_days"])
    days = rule["wait_days"] if waiting else 0
    return CardValidity(paid_on + dt.timedelta(days=days), waiting, days)
