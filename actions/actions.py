"""Custom actions: thin translation between Rasa's tracker and ``actions.dialogue``."""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, ConversationResumed, EventType, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from cases.repository import ERASE
from knowledge import compose
from actions.dialogue import Reply, Turn, respond
from actions.handover import CaseInfo
from actions.state import situation_to_dict
from channels.console.settings import DAYS, VN
from actions.ratelimit import limiter_from_env
from actions.state import DialogueState
from knowledge.registry import registry
from cases import log_masking
from channels import memory

logger = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach this process's logs
STATE_SLOT = "state"
EXTERNAL_PREFIX = "EXTERNAL: "  # the text Rasa gives an intent triggered through its API
# One per-conversation limit for every channel (ANSINH_RATE_LIMIT; shared in Redis when configured).
LIMITER = limiter_from_env()


def today() -> dt.date:
    """The day whose rules apply; ANSINH_TODAY (YYYY-MM-DD) pins it for tests and demos."""
    pinned = os.environ.get("ANSINH_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unknown")[:32]


def state_of(tracker: Tracker) -> DialogueState:
    return DialogueState.from_dict(tracker.get_slot(STATE_SLOT))


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    for message in reply.messages:
        if not message.text:
            continue
        if message.buttons:
            dispatcher.utter_message(text=message.text, buttons=[{"title": b.title, "payload": b.payload} for b in message.buttons])
        else:
            dispatcher.utter_message(text=message.text)


class ActionRespond(Action):
    """Answers a topic question, runs a calculator step, or refers the user to the right offices."""

    NAME = "action_respond"

    def name(self) -> Text:
        return self.NAME

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        day = today()
        paused = tracker.is_paused()
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        if paused and (text.startswith(EXTERNAL_PREFIX) or answered_already(tracker)):
            # An intent triggered from outside (Rasa's trigger_intent), or the action run again through Rasa's
            # /execute, while staff have the conversation: nothing to answer, nothing new for the case.
            return []
        if not paused and not LIMITER.allow(tracker.sender_id):
            dispatcher.utter_message(text=compose.say(registry().message("rate_limited"), day))
            return []
        turn = Turn(
            intent=(latest.get("intent") or {}).get("name") or "nlu_fallback",
            text=text,
            entities=list(latest.get("entities") or []),
            state=state_of(tracker),
            today=day,
            ranking=list(latest.get("intent_ranking") or []),
            segments=list(latest.get("segments") or []),
            question=latest.get("question"),
            case=case_of(tracker.sender_id),
            paused=paused,
            channel=channel_of(tracker),
            subscribed=is_subscribed(tracker.sender_id),
            outreach=outreach_settings(),
        )
        reply = respond(turn)
        events: List[EventType] = []
        if reply.silent:
            # Staff have the conversation: the message goes onto the case (once: not again when Rasa's API
            # re-runs the action, nor an intent triggered from outside), the bot says nothing.
            if not answered_already(tracker) and not text.startswith(EXTERNAL_PREFIX):
                record_user_message(turn.case, text)
            if not paused:
                events.append(ConversationPaused())  # e.g. a new session after a day away: still with staff
            return events
        erased = False
        if reply.case_request is not None:
            done = carry_out(tracker.sender_id, channel_of(tracker), last_user_texts(tracker), turn, reply, day)
            erased = done and reply.case_request.kind == "erase"
        if reply.outreach_request is not None:
            carry_out_outreach(tracker.sender_id, channel_of(tracker), turn, reply, day)
        send(dispatcher, reply)
        if reply.record_referral:
            try:
                store.record_referral(*reply.record_referral, channel=channel_of(tracker), day=turn.today)
            except Exception:  # noqa: BLE001 - a counter must never break the answer
                logger.exception("could not record referral")
        events.append(SlotSet(STATE_SLOT, reply.state.to_dict()))
        if reply.pause and not paused:
            events.append(ConversationPaused())
        if reply.resume and paused:
            events.append(ConversationResumed())
        if erased:
            # The conversation itself: the tracker store deletes it when it saves this turn, and the event
            # stores theirs when the marker reaches them (channels/tracker_store.py). A fresh start after it.
            events.append({**Restarted(), "metadata": {ERASE: True}})
        return events


def answered_already(tracker: Tracker) -> bool:
    """This action already ran for the user's latest message (Rasa's /execute runs it again)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == ActionRespond.NAME:
            return True
    return False


def is_subscribed(sender_id: str) -> bool:
    try:
        from outreach import subscriptions

        return bool(subscriptions.active(store.engine(), sender_id))
    except Exception:  # noqa: BLE001 - an answer must not depend on the database
        logger.exception("could not read the subscriptions of a conversation")
        return False


def outreach_settings() -> Dict[str, Any]:
    """What the opt-in message states: how many days before, quiet hours, Zalo's reply window."""
    from channels.zalo import REPLY_WINDOW
    from outreach.scheduler import Settings

    s = Settings.from_env()
    return {"days_before": s.days_before, "quiet_start": f"{s.quiet_start:%H:%M}", "quiet_end": f"{s.quiet_end:%H:%M}",
            "zalo_hours": int(REPLY_WINDOW.total_seconds() // 3600)}


def carry_out_outreach(sender: str, channel: str, turn: Turn, reply: Reply, day: dt.date) -> None:
    """Subscribe, keep segment facts (with their consent), or stop everything; say the outcome."""
    from outreach import schedule, subscriptions
    from outreach.scheduler import Settings

    reg = registry()
    req = reply.outreach_request
    eng = store.engine()
    try:
        if req.kind == "unsubscribe":
            count = subscriptions.unsubscribe(eng, sender)
            reply.say(compose.say(reg.message("subscribe.stopped"), day, {"count": count}))
        elif req.kind == "subscribe":
            subscriptions.subscribe(eng, sender, channel, req.subscription, req.wording or "", details=req.details)
            days = Settings.from_env().days_before
            details = req.details or {}
            if req.subscription == "vsi_payment":
                from knowledge import parameters as P

                first = schedule.vsi_reminders(dt.date.fromisoformat(details["start"]), int(details["period_months"]),
                                               P.value("vsi_payment_deadline_months", day), days_before=days, after=day)
            else:
                r = schedule.hi_reminder(dt.date.fromisoformat(details["expiry"]), days_before=days, after=day)
                first = [r] if r else []
            reply.say(compose.say(reg.message("subscribe.done"), day, {"kind": req.subscription,
                                                                       "first": first[0].due.strftime("%d/%m/%Y") if first else None}))
            reply.say(compose.say(reg.message("subscribe.ask_segment"), day), [reg.control("agree"), reg.control("disagree")])
        elif req.kind == "segment":
            sit = reply.state.situation
            group = next(iter(sorted(sit.household_groups)), None) or ("farmer" if sit.farming else None)
            subscriptions.keep_segment(eng, sender, req.wording or "", channel, province=reply.state.province,
                                       group=group, topic=turn.state.topic)
    except Exception:  # noqa: BLE001 - the user must hear that it failed
        logger.exception("outreach request %s failed", req.kind)
        reply.messages = []
        reply.say(compose.say(reg.message("handoff.failed"), day))


def case_of(sender_id: str) -> Optional[CaseInfo]:
    """The person's open (else latest) case, as the dialogue reads it; None when there is none or the
    database cannot be read (the bot then answers as if there were none, and says so if asked to open one)."""
    try:
        row = store.latest_case(sender_id)
    except Exception:  # noqa: BLE001 - an answer must not depend on the case database
        logger.exception("could not read the case of a conversation")
        return None
    if row is None:
        return None
    return CaseInfo(
        case_id=row["id"], status=row["status"], province=row["province"], updated=vn_time(row["updated_at"] or row["created_at"]),
        assigned=row["assigned_staff_id"] is not None, closed_reason=row.get("closed_reason"),
        rating_pending=bool(row.get("rating_pending")),
    )


def vn_time(value: Optional[dt.datetime]) -> str:
    if value is None:
        return ""
    return value.replace(tzinfo=dt.timezone.utc).astimezone(VN).strftime("%H:%M %d/%m/%Y")


def record_user_message(case: Optional[CaseInfo], text: str) -> None:
    if case is None or not case.open or not text.strip():
        return
    try:
        store.add_user_message(case.case_id, text)
    except Exception:  # noqa: BLE001 - Rasa's tracker keeps the message in any case
        logger.exception("could not add a message to case %s", case.case_id)


def announce_case(case_id: int, province, topic, channel: str) -> None:
    """Tell the province's staff group on Telegram (channels/notify.py), in the background; never raises."""
    try:
        from channels import notify

        notify.announce_new_case(notify.NewCase(case_id, province, topic, channel, dt.datetime.now(dt.timezone.utc)))
    except Exception:  # noqa: BLE001 - the user's reply comes first
        logger.exception("could not announce case %s", case_id)


def carry_out(sender: str, channel: str, user_texts: List[str], turn: Turn, reply: Reply, day: dt.date) -> bool:
    """Do in the case database what the dialogue decided (``reply.case_request``); say the outcome, or that
    it failed (then nothing is paused or resumed, and False). ``user_texts``: the user's last messages."""
    reg = registry()
    req = reply.case_request
    try:
        if req.kind == "consent":
            store.record_consent(sender, channel, req.wording or "", granted=bool(req.granted))
        elif req.kind == "open":
            open_case(sender, channel, user_texts, reply, day)
        elif req.kind == "extend":
            opened = store.open_or_extend(sender, channel, None, reply.state.province, "\n".join(user_texts))
            if req.description:
                store.add_user_message(opened.case_id, req.description)
        elif req.kind == "withdraw" and turn.case is not None:
            store.withdraw(turn.case.case_id)
        elif req.kind == "erase":
            erased = store.erase_sender(sender)
            from outreach import subscriptions

            subscriptions.erase(store.engine(), sender)
            reply.say(compose.say(reg.message("privacy.erased"), day, {"count": len(erased)}))
        elif req.kind == "rate" and turn.case is not None:
            store.rate(turn.case.case_id, int(req.score))
    except Exception:  # noqa: BLE001 - the user must hear that it failed, and what to do instead
        logger.exception("case request %s failed", req.kind)
        reply.messages = []
        reply.pause = reply.resume = False
        reply.say(compose.say(reg.message("handoff.failed"), day))
        return False
    return True


def last_user_texts(tracker: Tracker, n: int = 5) -> List[str]:
    return [e.get("text") or "" for e in tracker.events if e.get("event") == "user" and not (e.get("text") or "").startswith("/")][-n:]


def open_case(sender: str, channel: str, user_texts: List[str], reply: Reply, day: dt.date) -> None:
    """Open (or add to) the case, and tell the user its number and when staff will answer."""
    reg = registry()
    req = reply.case_request
    state = reply.state
    facts = {"topic": req.topic, "province": req.province, **({"inputs": state.last_inputs, "calculator": state.last_calc} if state.last_calc else {}),
             "situation": {k: v for k, v in situation_to_dict(state.situation).items() if v not in (None, [], (), False, "") and k != "recent"}}
    try:
        opened = store.open_or_extend(
            sender, channel, req.topic, req.province, "\n".join(user_texts),
            contact=req.contact, description=req.description, facts=facts, new_matter=req.new_matter,
        )
        if req.description:
            store.add_user_message(opened.case_id, req.description)
    except Exception:  # noqa: BLE001 - the user must hear that it failed, and what to do instead
        logger.exception("could not open a case")
        reply.pause = False
        reply.say(compose.say(reg.message("handoff.failed"), day))
        return
    if opened.created:
        announce_case(opened.case_id, req.province, req.topic, channel)
    reply.say(compose.say(reg.message("handoff.opened"), day, {"case_id": opened.case_id, "province": req.province, **when_staff_answer()}))


def when_staff_answer(at: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """Whether the office is open now, and by when staff answer (console.yml office hours and
    first_reply_working_hours), as the handoff.opened message reads them."""
    try:
        from channels.console.settings import load

        settings = load()
    except Exception:  # noqa: BLE001 - the case is open; only the "by when" is left out
        logger.exception("could not read the office hours")
        return {}
    hours = settings.office_hours
    at = at or dt.datetime.now(dt.timezone.utc)
    by = hours.after_working_time(at, settings.first_reply)
    local = at.astimezone(VN)
    out: Dict[str, Any] = {"open_now": hours.is_open(at), "hours": hours.describe()}
    holiday = hours.holiday(local.date())
    if holiday:
        out["holiday"] = holiday.name
    if by is not None:
        out.update(reply_time=f"{by:%H:%M}", reply_date=f"{by:%d/%m/%Y}", reply_weekday=DAYS[by.weekday()],
                   same_day=by.date() == local.date())
    return out


# The action server imports this module as the last step of its start: what it loaded is out of the
# collector's full passes from here on (channels/memory.py).
memory.settle_when_loaded()
