"""Voluntary social insurance contribution: gross, State support and what the participant pays."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, List, Tuple

from knowledge import parameters as P
from knowledge.errors import InvalidInput
from knowledge.money import round_dong


@dataclass(frozen=True)
class IncomeRange:
    minimum: int
    maximum: int
    max_multiple: int
    facts: tuple = field(repr=False)

    @property
    def cautions(self) -> List[str]:
        """Cautions of the uncertain facts behind the range (the 2027 poverty line)."""
        return [f.caution for f in self.facts if f.uncertain and f.caution]


@dataclass(frozen=True)
class VsiQuote:
    on: dt.date
    income: int
    group: str
    period_months: int
    rate: float
    support_rate: float
    gross_month: int
    support_month: int
    net_month: int
    deadline_months: int
    support_max_months: int
    income_range: IncomeRange
    facts: tuple = field(repr=False)

    @property
    def gross_period(self) -> int:
        return self.gross_month * self.period_months

    @property
    def support_period(self) -> int:
        return self.support_month * self.period_months

    @property
    def net_period(self) -> int:
        return self.net_month * self.period_months

    @property
    def deadline_is_whole_period(self) -> bool:
        return self.deadline_months == self.period_months


def payment_periods(on: dt.date) -> Tuple[int, ...]:
    """The payment methods in force on day ``on``, in months per payment (Law 41/2024 Art. 36(2))."""
    return tuple(sorted(P.value("vsi_payment_deadline_months", on)))


def shortest_period(on: dt.date) -> int:
    """The most frequent payment method (monthly)."""
    return payment_periods(on)[0]


def groups(on: dt.date) -> Tuple[str, ...]:
    """Participant groups with a State support rate, highest rate first."""
    rates = P.value("vsi_support_rate", on)
    return tuple(sorted(rates, key=lambda g: -rates[g]))


def income_range(on: dt.date) -> IncomeRange:
    """Lowest and highest monthly income one may choose (Law 41/2024 Art. 31(2))."""
    poverty = P.get("rural_poverty_line", on)
    multiple = P.get("vsi_max_income_multiple", on)
    base = P.get("base_salary", on)
    return IncomeRange(int(poverty.value), int(multiple.value * base.value), multiple.value, (poverty, multiple, base))


def best_group(candidates: Iterable[str], on: dt.date) -> str:
    """The group with the highest support rate among those that apply ("other" when none)."""
    rates = P.value("vsi_support_rate", on)
    chosen = [g for g in candidates if g] or ["other"]
    for g in chosen:
        if g not in rates:
            raise InvalidInput("group", "unknown", value=g, allowed=tuple(rates))
    return max(chosen, key=lambda g: rates[g])


def check_income(on: dt.date, income: int) -> IncomeRange:
    """The income range, when ``income`` is in it (InvalidInput otherwise)."""
    rng = income_range(on)
    if income is None or income <= 0:
        raise InvalidInput("income", "missing", minimum=rng.minimum, maximum=rng.maximum)
    if income < rng.minimum or income > rng.maximum:
        raise InvalidInput("income", "out_of_range", value=int(income), minimum=rng.minimum, maximum=rng.maximum)
    return rng


def quote(on: dt.date, income: int, groups_: Iterable[str] = ("other",), period_months: int = 1) -> VsiQuote:
    """What a participant pays on day ``on`` for a chosen monthly ``income``."""
    rng = check_income(on, income)
    deadline_f = P.get("vsi_payment_deadline_months", on)
    if period_months not in deadline_f.value:
        raise InvalidInput("period", "unknown", value=period_months, allowed=payment_periods(on))
    group = best_group(groups_, on)
    rate_f = P.get("vsi_contribution_rate", on)
    support_f = P.get("vsi_support_rate", on)
    cap_f = P.get("vsi_support_max_months", on)
    rate = rate_f.value
    support_rate = support_f.value[group]
    gross = round_dong(income * rate)
    support = round_dong(rng.minimum * rate * support_rate)
    return VsiQuote(
        on=on,
        income=int(income),
        group=group,
        period_months=period_months,
        rate=rate,
        support_rate=support_rate,
        gross_month=gross,
        support_month=support,
        net_month=gross - support,
        deadline_months=int(deadline_f.value[period_months]),
        support_max_months=int(cap_f.value),
        income_range=rng,
        facts=(rate_f, support_f, deadline_f, cap_f) + rng.facts,
    )


@dataclass(frozen=True)
class SupportRow:
    group: str
    support_rate: float
    support_month: int
    net_month: int


def support_table(on: dt.date) -> Tuple[SupportRow, ...]:
    """State support per group at the lowest income, highest rate first (island shares the poor rate)."""
    rng = income_range(on)
    rows = []
    for group in groups(on):
        q = quote(on, rng.minimum, [group], shortest_period(on))
        rows.append(SupportRow(group, q.support_rate, q.support_month, q.net_month))
    return tuple(rows)
