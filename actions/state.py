"""The conversation state the dialogue keeps between turns: one typed structure in one slot.

No Rasa imports: ``actions/actions.py`` reads it from the ``state`` slot and writes it back.
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, Mapping, Optional

from bot.situation import Situation


def situation_to_dict(s: Situation) -> Dict[str, Any]:
    """A Situation as JSON-safe data (tuples and sets as lists), the field order it was said in too."""
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        out[f.name] = sorted(value) if isinstance(value, frozenset) else list(value) if isinstance(value, tuple) else value
    return out


def situation_from_dict(raw: Optional[Mapping[str, Any]]) -> Situation:
    if not raw:
        return Situation()
    values: Dict[str, Any] = {}
    for f in dataclasses.fields(Situation):
        if f.name not in raw:
            continue
        value = raw[f.name]
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, frozenset):
            value = frozenset(value or ())
        elif isinstance(default, tuple):
            value = tuple(value or ())
        values[f.name] = value
    return Situation(**values)


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
    offer: Optional[str] = None  # what the last answer offered (a button target): "có" accepts it
    last: Optional[LastAnswer] = None
    situation: Situation = field(default_factory=Situation)  # the person's facts, from every message
    handover: Optional[Dict[str, Any]] = None  # a handover to staff in progress (actions/handover.py)
    subscribing: Optional[Dict[str, Any]] = None  # an opt-in to reminders in progress (actions/subscribing.py)

    def to_dict(self) -> Dict[str, Any]:
        out = asdict(self)
        out["situation"] = situation_to_dict(self.situation)
        return out

    @classmethod
    def from_dict(cls, raw: Optional[Mapping[str, Any]]) -> "DialogueState":
        if not raw:
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        if isinstance(values.get("last"), Mapping):
            values["last"] = LastAnswer(**values["last"])
        values["situation"] = situation_from_dict(values.get("situation"))
        for name in ("inputs", "last_inputs"):
            values[name] = dict(values.get(name) or {})
        return cls(**values)

    def clear_pending(self) -> None:
        """Forget a calculation or referral in progress (the user asked something else)."""
        self.calc, self.inputs, self.asked, self.referral, self.offer = None, {}, None, None, None
        self.handover = self.subscribing = None
