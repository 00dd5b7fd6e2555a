"""When reminders are due: pure functions of dates, no database, no text.

Voluntary SI is paid by the month, every 3, 6 or 12 months (or years ahead); each payment is due within the
first N months of its period (``vsi_payment_deadline_months``: 1, 3, 4 and 7 months; Law 41/2024/QH15
Art. 36). A reminder goes ``days_before`` days before the last day of that window. A BHYT card's reminder goes
``days_before`` days before its expiry date.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import List, Mapping, Optional

DEFAULT_DAYS_BEFORE = 7


@dataclass(frozen=True)
class Reminder:
    due: dt.date  # the day to send it
    period_start: dt.date  # the first day of the period the payment covers
    deadline: dt.date  # the last day to pay for it


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def vsi_reminders(start: dt.date, period_months: int, deadlines: Mapping, *, days_before: int = DEFAULT_DAYS_BEFORE,
                  after: dt.date, count: int = 1) -> List[Reminder]:
    """The next ``count`` reminders due on or after ``after``, for payments every ``period_months`` months
    counted from the month of ``start``; ``deadlines``: months of each period within which it is paid
    (the parameter's value, keyed by the period in months)."""
    window = deadlines.get(period_months, deadlines.get(str(period_months)))
    if window is None:
        raise ValueError(f"no payment deadline for a period of {period_months} months")
    period = start.replace(day=1)
    out: List[Reminder] = []
    for _ in range(1200):  # a hundred years of monthly payments at most
        deadline = last_day_of_month(add_months(period, int(window) - 1))
        due = max(deadline - dt.timedelta(days=days_before), period)
        if due >= after:
            out.append(Reminder(due, period, deadline))
            if len(out) >= count:
                break
        period = add_months(period, period_months)
    return out


def hi_reminder(expiry: dt.date, *, days_before: int = DEFAULT_DAYS_BEFORE, after: dt.date) -> Optional[Reminder]:
    """The renewal reminder of a card expiring on ``expiry`` (None when that day has passed)."""
    if expiry < after:
        return None
    due = max(expiry - dt.timedelta(days=days_before), after)
    return Reminder(due, expiry, expiry)
