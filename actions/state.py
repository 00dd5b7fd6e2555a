"""The conversation state the dialogue keeps between turns: one typed structure in one slot.

No Rasa imports: ``actions/actions.py`` reads it from the ``state`` slot and writes it back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, Mapping, Optional


@dataclass
class LastAnswer:
    """What was answered last, so "Xem thêm" and "căn cứ đâu?" can show the rest of it."""

    entry: str
    inputs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class DialogueState:
    topic: Optional[str] = None  # the last topic answered (its registry key)
    calc: Optional[str] = None  # the calculator waiting for an input
    inputs: Dict[str, Any] = field(default_factory=dict)  # inputs gathered for it so far
    asked: Optional[str] = None  # the input just asked for
    last_calc: Optional[str] = None  # the last calculator that gave a result, for follow-ups
    last_inputs: Dict[str, Any] = field(default_factory=dict)  # the inputs of that result
    referral: Optional[str] = None  # a referral waiting for the province: insurance, dispute, unemployment
    province: Optional[str] = None  # the user's province (current unit), once known
    last: Optional[LastAnswer] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Optional[Mapping[str, Any]]) -> "DialogueState":
        if not raw:
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        if isinstance(values.get("last"), Mapping):
            values["last"] = LastAnswer(**values["last"])
        for name in ("inputs", "last_inputs"):
            values[name] = dict(values.get(name) or {})
        return cls(**values)

    def clear_pending(self) -> None:
        """Forget a calculation or referral in progress (the user asked something else)."""
        self.calc, self.inputs, self.asked, self.referral = None, {}, None, None
