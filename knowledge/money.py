"""Vietnamese formatting of amounts and dates."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def round_dong(amount: float | Decimal) -> int:
    """Round to the nearest đồng (half up), as amounts are quoted."""
    return int(Decimal(str(amount)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def vnd(amount: float | int | Decimal) -> str:
    """528000 -> '528.000 đồng'."""
    return f"{format_number(round_dong(amount))} đồng"


def format_number(n: int) -> str:
    sign = "-" if n < 0 else ""
    return sign + f"{abs(int(n)):,}".replace(",", ".")


def percent(ratio: float) -> str:
    """0.22 -> '22%', 0.045 -> '4,5%'."""
    value = Decimal(str(ratio)) * 100
    text = format(value.normalize(), "f")
    return text.replace(".", ",") + "%"


def date_vi(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
