"""Opting in to reminders (voluntary-SI payments, BHYT card renewal) and out of everything, in the
conversation. Kept in ``DialogueState.subscribing``:

1. which reminder: the last calculation says it (a voluntary-SI quote gives the amount and the payment
   method; a BHYT quote asks the card's expiry date), else the user picks;
2. the month payments start ("Từ tháng này"), or the card's expiry date;
3. consent, with the wording recorded (and, on Zalo, the 48-hour rule said);
4. then the action layer (``actions/actions.py``) records the subscription and says when the first reminder
   comes, and asks whether the person also wants news, which keeps their province and group for segments
   (a consent of its own).

"dừng", "stop", "hủy nhắc" or the "Dừng nhắc" button end every subscription at once, whatever is in
progress. No Rasa imports, no Vietnamese text (``subscribe.*``, ``reminder.*`` in the content).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional

from knowledge import compose
from knowledge.registry import registry
from knowledge.text import fold

if TYPE_CHECKING:
    from actions.dialogue import Reply, Turn

# Whole messages that stop every reminder (also the "Dừng nhắc" button's intent, unsubscribe).
STOP = re.compile(r"^\s*(?:dung|stop|ngung|huy nhac|dung nhac|ngung nhac|huy dang ky|dung nhan tin|/?unsubscribe)\s*[.!]*\s*$")
MONTH_YEAR = re.compile(r"\b(?:thang\s*)?(\d{1,2})\s*(?:[/\-.]|\s+nam\s+)\s*(\d{4})\b")
DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})\b")
THIS_MONTH = re.compile(r"\b(?:thang nay|bay gio|tu gio|ngay bay gio|luon)\b")
MAX_TRIES = 2
HEALTH_CARD = re.compile(r"\b(?:bhyt|bao hiem y te|the bao hiem|gia han the|het han the)\b")


@dataclass
class OutreachRequest:
    """What the action layer does in the subscriptions table this turn."""

    kind: str  # subscribe, segment, unsubscribe
    subscription: Optional[str] = None  # vsi_payment, hi_renewal
    details: Optional[Dict[str, Any]] = None
    wording: Optional[str] = None


def stops(turn: "Turn") -> bool:
    return turn.intent == "unsubscribe" or bool(STOP.match(fold(turn.text or "")))


def _say(reply: "Reply", key: str, turn: "Turn", inputs=None, buttons=None) -> "Reply":
    return reply.say(compose.say(key, turn.today, inputs), buttons)


def _yes_no() -> list:
    reg = registry()
    return [reg.control("agree"), reg.control("disagree")]


def consent_inputs(turn: "Turn", s: Dict[str, Any]) -> Dict[str, Any]:
    """What the consent message says: the reminder, its timing and the channel's limits (from the action
    layer's settings, in ``turn.outreach``)."""
    o = turn.outreach or {}
    return {"kind": s["kind"], "period": (s.get("details") or {}).get("period_months"), "amount": (s.get("details") or {}).get("amount"),
            "deadline": (s.get("details") or {}).get("expiry_text"), "days": o.get("days_before"),
            "quiet_start": o.get("quiet_start"), "quiet_end": o.get("quiet_end"),
            "zalo": turn.channel == "zalo", "zalo_hours": o.get("zalo_hours")}


def start(turn: "Turn", reply: "Reply", hint: Optional[str] = None) -> "Reply":
    from knowledge.calculators.specs import SPECS

    state = reply.state
    state.clear_pending()
    reply.topic = "subscribe"
    if hint is None and HEALTH_CARD.search(fold(turn.text or "")):
        hint = "hi"
    if hint == "hi" or (hint is None and turn.state.last_calc == "hi"):
        state.subscribing = {"kind": "hi_renewal", "step": "expiry", "details": {}, "tries": 0}
        return _say(reply, "subscribe.ask_expiry", turn)
    if turn.state.last_calc == "vsi" and turn.state.last_inputs:
        try:
            quote = SPECS["vsi"].compute(turn.today, turn.state.last_inputs)
        except Exception:  # noqa: BLE001 - an old quote that no longer computes: ask afresh
            quote = None
        if quote is not None:
            details = {"period_months": quote.period_months, "amount": quote.net_period, "income": quote.income}
            state.subscribing = {"kind": "vsi_payment", "step": "start", "details": details, "tries": 0}
            return _say(reply, "subscribe.ask_start", turn, None, [registry().control("this_month")])
    reg = registry()
    return _say(reply, "subscribe.which", turn, None, [reg.button("calc:vsi"), reg.button("subscribe_hi")])


def step(turn: "Turn", reply: "Reply") -> Optional["Reply"]:
    """The next step of an opt-in in progress, or None when the message leaves it."""
    s = dict(turn.state.subscribing or {})
    if not s:
        return None
    reply.topic = "subscribe"
    folded = fold(turn.text or "")
    kind = s.get("step")
    if kind in ("start", "expiry"):
        found = _start_month(folded, turn) if kind == "start" else _expiry(folded)
        if found is None:
            s["tries"] = s.get("tries", 0) + 1
            if s["tries"] >= MAX_TRIES:
                reply.state.subscribing = None
                return None
            reply.state.subscribing = s
            return _say(reply, "subscribe.date_again", turn)
        details = dict(s.get("details") or {})
        if kind == "start":
            details["start"] = found.isoformat()
        else:
            details["expiry"] = found.isoformat()
            details["expiry_text"] = found.strftime("%d/%m/%Y")
        s.update(details=details, step="consent", tries=0)
        reply.state.subscribing = s
        return _say(reply, "subscribe.consent", turn, consent_inputs(turn, s), _yes_no())
    if kind == "consent":
        if turn.intent == "affirm":
            wording = compose.say("subscribe.consent", turn.today, consent_inputs(turn, s))
            reply.outreach_request = OutreachRequest("subscribe", s["kind"], s.get("details") or {}, wording)
            reply.state.subscribing = {"step": "segment", "kind": s["kind"]}
            return reply  # the action layer says it is done, when the first reminder comes, and asks about news
        reply.state.subscribing = None
        if turn.intent == "deny":
            return _say(reply, "subscribe.declined", turn)
        return None
    if kind == "segment":
        reply.state.subscribing = None
        if turn.intent == "affirm":
            reply.outreach_request = OutreachRequest("segment", s.get("kind"),
                                                     wording=compose.say("subscribe.ask_segment", turn.today))
            return _say(reply, "subscribe.done", turn, {"kind": s.get("kind"), "news": True})
        if turn.intent == "deny":
            return reply.say(compose.say("declined", turn.today))
        return None
    reply.state.subscribing = None
    return None


def stop(turn: "Turn", reply: "Reply") -> "Reply":
    reply.state.clear_pending()
    reply.topic = "unsubscribe"
    reply.outreach_request = OutreachRequest("unsubscribe")
    return reply  # the action layer says how many it stopped (subscribe.stopped)


def _start_month(folded: str, turn: "Turn") -> Optional[dt.date]:
    if turn.intent == "affirm" or THIS_MONTH.search(folded):
        return turn.today.replace(day=1)
    m = MONTH_YEAR.search(folded)
    if m and 1 <= int(m.group(1)) <= 12 and 2000 <= int(m.group(2)) <= turn.today.year + 2:
        return dt.date(int(m.group(2)), int(m.group(1)), 1)
    return None


def _expiry(folded: str) -> Optional[dt.date]:
    m = DAY_MONTH_YEAR.search(folded)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    m = MONTH_YEAR.search(folded)
    if m and 1 <= int(m.group(1)) <= 12:
        year, month = int(m.group(2)), int(m.group(1))
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return None
