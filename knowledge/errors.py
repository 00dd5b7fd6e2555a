"""Errors the calculators and the directory raise; the content layer words them for the user.

An error names the input (``field``), what is wrong with it (``code``) and the limits that apply, as
data: ``InvalidInput("income", "out_of_range", value=900000, minimum=1500000, maximum=50600000)``.
The Vietnamese message is the content entry ``error.<field>.<code>`` (knowledge/content/errors.yaml).
"""
from __future__ import annotations

from typing import Any, Dict


class InvalidInput(ValueError):
    """An input outside what the law or common sense allows."""

    def __init__(self, field: str, code: str, **limits: Any) -> None:
        super().__init__(f"{field}: {code} {limits}" if limits else f"{field}: {code}")
        self.field = field
        self.code = code
        self.limits: Dict[str, Any] = dict(limits)

    @property
    def content_key(self) -> str:
        return f"error.{self.field}.{self.code}"


class UnknownProvince(LookupError):
    """A place name that matches no current or former province."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
