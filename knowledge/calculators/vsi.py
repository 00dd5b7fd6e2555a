"""Voluntary social insurance contribution: gross, State support and what the participant pays."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, List, Tuple

from knowledge import parameters as P
from knowledge.errors import InvalidInput
from knowledge.money import round_dong, vnd

GROUP_LABELS = {
    "poor": "hộ nghèo",
    "island": "người sống ở xã đảo, đặc khu",
    "near_poor": "hộ cận nghèo",
    "ethnic_minority": "người dân tộc thiểu số",
    "other": "đối tượng khác",
}
PERIOD_LABELS = {1: "hằng tháng"}


def period_label(months: int) -> str:
    return PERIOD_LABELS.get(months, f"{months} tháng một lần")


@dataclass(frozen=True)
class IncomeRange:
    minimum: int
    maximum: int
    facts: tuple

    @property
    def cautions(self) -> List[str]:
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
    def deadline_text(self) -> str:
        if self.period_months == 1:
            return "đóng trong tháng"
        if self.deadline_months == self.period_months:
            return f"đóng trong {self.period_months} tháng của kỳ"
        return f"đóng trong {self.deadline_months} tháng đầu của kỳ {self.period_months} tháng"

    @property
    def cautions(self) -> List[str]:
        notes = list(self.income_range.cautions)
        for f in self.facts:
            if f.name == "vsi_support_max_months" and f.caution:
                notes.append(f.caution)
        return notes


def payment_periods(on: dt.date) -> Tuple[int, ...]:
    """The payment methods in force on day ``on``, in months per payment (Law 41/2024 Art. 36(2))."""
    return tuple(sorted(P.value("vsi_payment_deadline_months", on)))


def shortest_period(on: dt.date) -> int:
    """The most frequent payment method (monthly)."""
    return payment_periods(on)[0]


def income_range(on: dt.date) -> IncomeRange:
    """Lowest and highest monthly income one may choose (Law 41/2024 Art. 31(2))."""
    poverty = P.get("rural_poverty_line", on)
    multiple = P.get("vsi_max_income_multiple", on)
    base = P.get("base_salary", on)
    return IncomeRange(int(poverty.value), int(multiple.value * base.value), (poverty, multiple, base))


def best_group(groups: Iterable[str], on: dt.date) -> str:
    """The group with the highest support rate among those that apply."""
    rates = P.value("vsi_support_rate", on)
    groups = [g for g in groups if g] or ["other"]
    for g in groups:
        if g not in rates:
            raise InvalidInput("group", f"Tôi không biết nhóm “{g}”.")
    return max(groups, key=lambda g: rates[g])


def quote(on: dt.date, income: int, groups: Iterable[str] = ("other",), period_months: int = 1) -> VsiQuote:
    """What a participant pays on day ``on`` for a chosen monthly ``income``."""
    rng = income_range(on)
    if income is None or income <= 0:
        raise InvalidInput("income", "Anh/chị cho tôi biết mức thu nhập muốn chọn để đóng (ví dụ: 3 triệu).")
    if income < rng.minimum or income > rng.maximum:
        raise InvalidInput(
            "income",
            f"Mức thu nhập chọn để đóng BHXH tự nguyện phải từ {vnd(rng.minimum)} đến {vnd(rng.maximum)} "
            f"một tháng (Luật BHXH 2024, Điều 31 khoản 2); anh/chị đưa ra {vnd(income)}. "
            "Anh/chị chọn lại một mức trong khoảng này nhé.",
        )
    deadline_f = P.get("vsi_payment_deadline_months", on)
    if period_months not in deadline_f.value:
        periods = [PERIOD_LABELS.get(m, f"{m} tháng") for m in payment_periods(on)]
        raise InvalidInput(
            "period",
            f"Phương thức đóng có thể là {', '.join(periods[:-1])} hoặc {periods[-1]} một lần "
            "(đóng trước nhiều năm thì được giảm trừ theo lãi đầu tư của quỹ, cơ quan BHXH sẽ tính).",
        )
    group = best_group(groups, on)
    rate_f = P.get("vsi_contribution_rate", on)
    support_f = P.get("vsi_support_rate", on)
    cap_f = P.get("vsi_support_max_months", on)
    rate = rate_f.value
    support_rate = support_f.value[group]
    gross = round_dong(income * rate)
    support = round_dong(rng.minimum * rate * support_rate)
    return VsiQuote(
        on=on,
        income=income,
        group=group,
        period_months=period_months,
        rate=rate,
        support_rate=support_rate,
        gross_month=gross,
        support_month=support,
        net_month=gross - support,
        deadline_months=int(deadline_f.value[period_months]),
        income_range=rng,
        facts=(rate_f, support_f, deadline_f, cap_f) + rng.facts,
    )


def support_table(on: dt.date) -> List[tuple]:
    """(group, rate, support per month, minimum net payment per month) for every group."""
    rng = income_range(on)
    rows = []
    for group in ("poor", "near_poor", "ethnic_minority", "other"):
        q = quote(on, rng.minimum, [group], shortest_period(on))
        rows.append((group, q.support_rate, q.support_month, q.net_month))
    return rows
