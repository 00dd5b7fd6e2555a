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
    """What a household pays for the members who need a card.

    ``group`` decides the rule: members of poor households and island communes are paid for by the
    State (``state_pays``); near-poor and average-living farming households get a share of the
    contribution paid (``support_rate``) and may choose the household ladder instead; the others pay
    the ladder. Children under 6 are paid for by the State and are not counted among the payers.
    """

    on: dt.date
    members: int  # members who need a card (those covered elsewhere left out)
    covered_elsewhere: int  # members left out because they have a card through another group
    payers: int  # members who pay (children under 6 left out)
    free_children: int
    group: str
    state_pays: bool
    support_rate: float
    period_months: int
    periods: Tuple[int, ...]
    base_salary: int
    full_rate_month: int  # 4.5% of the base salary: what one member pays without a discount
    per_member_month: Tuple[int, ...]  # the household ladder for the payers
    supported_member_month: Optional[int]  # what each payer pays with the State's support, if any
    facts: tuple = field(repr=False)

    @property
    def ladder_total_month(self) -> int:
        return sum(self.per_member_month)

    @property
    def supported_total_month(self) -> Optional[int]:
        return None if self.supported_member_month is None else self.supported_member_month * self.payers

    @property
    def uses_support(self) -> bool:
        """The supported rate is the cheaper choice for this household."""
        total = self.supported_total_month
        return total is not None and total <= self.ladder_total_month

    @property
    def total_month(self) -> int:
        """What the household pays at most each month, with the cheaper of the choices it has."""
        if self.state_pays:
            return 0
        return self.supported_total_month if self.uses_support else self.ladder_total_month

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


# Household groups and the key of their State support in hi_state_support (Law Art. 12(3)-(4)).
STATE_PAID_GROUPS = ("poor", "island")
SUPPORTED_GROUPS = {"near_poor": "near_poor", "farm_average": "farm_average_living"}


def household(on: dt.date, members: int, period_months: Optional[int] = None, group: Optional[str] = None,
              children_under_6: int = 0, covered_elsewhere: int = 0) -> HouseholdQuote:
    """Contribution of ``members`` household members who need a card (those covered elsewhere don't count)."""
    if members is None or members < 1:
        raise InvalidInput("people", "too_few", value=members, minimum=1)
    if members > MAX_HOUSEHOLD_MEMBERS:
        raise InvalidInput("people", "too_many", value=members, maximum=MAX_HOUSEHOLD_MEMBERS)
    children = int(children_under_6 or 0)
    if children < 0 or children > members:
        raise InvalidInput("children", "out_of_range", value=children, minimum=0, maximum=members)
    periods_f = P.get("hi_payment_periods", on)
    periods = tuple(periods_f.value)
    period_months = max(periods) if period_months is None else period_months
    if period_months not in periods:
        raise InvalidInput("hi_period", "unknown", value=period_months, allowed=periods)
    base = P.get("base_salary", on)
    rate = P.get("hi_household_rate", on)
    ladder = P.get("hi_household_ladder", on)
    support_f = P.get("hi_state_support", on)
    group = group or "other"
    facts = [base, rate, ladder, periods_f]
    state_pays = group in STATE_PAID_GROUPS
    payers = 0 if state_pays else members - children
    first = base.value * rate.value
    shares = [ladder.value[min(i, len(ladder.value) - 1)] for i in range(payers)]
    per_member = tuple(round_dong(first * s) for s in shares)
    support_rate, supported = 0.0, None
    if state_pays or children:
        facts.append(support_f)
    if covered_elsewhere:
        facts.append(P.get("hi_household_counts_uncovered_only", on))
    if state_pays:
        support_rate = support_f.value["full"]
    elif group in SUPPORTED_GROUPS:
        support_rate = support_f.value[SUPPORTED_GROUPS[group]]
        supported = round_dong(first * (1 - support_rate))
        facts += [support_f, P.get("hi_supported_may_choose_household", on)]
    if state_pays:
        facts = [support_f]  # nothing is paid: only the rule that the State pays is cited
    return HouseholdQuote(
        on, members, int(covered_elsewhere or 0), payers, 0 if state_pays else children, group, state_pays, support_rate, period_months, periods,
        int(base.value), round_dong(first), per_member, supported, tuple(facts),
    )


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
