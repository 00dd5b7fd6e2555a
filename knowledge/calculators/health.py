"""Household health insurance (BHYT hộ gia đình): contribution per member and card validity."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Tuple

from knowledge import parameters as P
from knowledge.errors import InvalidInput
from knowledge.money import round_dong

MAX_MEMBERS = 30


@dataclass(frozen=True)
class HouseholdQuote:
    on: dt.date
    members: int
    period_months: int
    per_member_month: Tuple[int, ...]
    facts: tuple

    @property
    def total_month(self) -> int:
        return sum(self.per_member_month)

    @property
    def total_period(self) -> int:
        return self.total_month * self.period_months


def household(on: dt.date, members: int, period_months: Optional[int] = None) -> HouseholdQuote:
    """Contribution of ``members`` household members who need a card (those covered elsewhere don't count)."""
    if members is None or members < 1:
        raise InvalidInput(
            "members",
            "Số người cần mua BHYT theo hộ phải từ 1 người trở lên (không tính người đã có thẻ "
            "qua nơi làm việc, trường học, hộ nghèo...).",
        )
    if members > MAX_MEMBERS:
        raise InvalidInput("members", f"{members} người trong một hộ là quá nhiều, anh/chị kiểm tra lại số người giúp tôi.")
    periods = P.value("hi_payment_periods", on)
    period_months = max(periods) if period_months is None else period_months
    if period_months not in periods:
        raise InvalidInput(
            "period",
            "BHYT hộ gia đình đóng theo kỳ 3 tháng, 6 tháng hoặc 12 tháng (Luật BHYT, Điều 15).",
        )
    base = P.get("base_salary", on)
    rate = P.get("hi_household_rate", on)
    ladder = P.get("hi_household_ladder", on)
    first = base.value * rate.value
    shares = [ladder.value[min(i, len(ladder.value) - 1)] for i in range(members)]
    per_member = tuple(round_dong(first * s) for s in shares)
    facts = (base, rate, ladder, P.get("hi_payment_periods", on))
    return HouseholdQuote(on, members, period_months, per_member, facts)


@dataclass(frozen=True)
class CardValidity:
    valid_from: dt.date
    waiting_applies: bool
    wait_days: int


def card_valid_from(
    paid_on: dt.date, first_time: bool, gap_days: Optional[int] = None
) -> CardValidity:
    """Day a household card takes effect: 30 days after full payment for a first card or after a 90+ day gap."""
    rule = P.value("hi_waiting_period", paid_on)
    if gap_days is not None and gap_days < 0:
        raise InvalidInput("gap_days", "Số ngày gián đoạn không thể âm.")
    waiting = first_time or (gap_days is not None and gap_days >= rule["gap_days"])
    days = rule["wait_days"] if waiting else 0
    return CardValidity(paid_on + dt.timedelta(days=days), waiting, days)
