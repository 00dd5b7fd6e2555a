"""Custom actions: thin translation between Rasa's tracker and ``actions.dialogue``."""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from knowledge import compose
from actions.dialogue import Reply, Turn, respond
from actions.ratelimit import limiter_from_env
from actions.state import DialogueState
from knowledge.registry import registry

logger = logging.getLogger(__name__)
STATE_SLOT = "state"
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

    def name(self) -> Text:
        return "action_respond"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        day = today()
        if not LIMITER.allow(tracker.sender_id):
            dispatcher.utter_message(text=compose.say(registry().message("rate_limited"), day))
            return []
        latest = tracker.latest_message or {}
        turn = Turn(
            intent=(latest.get("intent") or {}).get("name") or "nlu_fallback",
            text=latest.get("text") or "",
            entities=list(latest.get("entities") or []),
            state=state_of(tracker),
            today=day,
            ranking=list(latest.get("intent_ranking") or []),
            segments=list(latest.get("segments") or []),
        )
        reply = respond(turn)
        if reply.handoff:
            open_case(tracker, reply, day)
        send(dispatcher, reply)
        if reply.record_referral:
            try:
                store.record_referral(*reply.record_referral, channel=channel_of(tracker), day=turn.today)
            except Exception:  # noqa: BLE001 - a counter must never break the answer
                logger.exception("could not record referral")
        return [SlotSet(STATE_SLOT, reply.state.to_dict())]


def announce_case(case_id: int, province, topic, channel: str) -> None:
    """Tell the province's staff group on Telegram (channels/notify.py), in the background; never raises."""
    try:
        from channels import notify

        notify.announce_new_case(notify.NewCase(case_id, province, topic, channel, dt.datetime.now(dt.timezone.utc)))
    except Exception:  # noqa: BLE001 - the user's reply comes first
        logger.exception("could not announce case %s", case_id)


def open_case(tracker: Tracker, reply: Reply, day: dt.date) -> None:
    """Record a case for union staff and legal aid, and tell the user what happens next."""
    reg = registry()
    user_texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][-5:]
    state = reply.state
    try:
        opened = store.open_or_extend(tracker.sender_id, channel_of(tracker), state_of(tracker).topic, state.province, "\n".join(user_texts))
        case_id = opened.case_id
    except Exception:  # noqa: BLE001 - the user must hear that it failed, and what to do instead
        logger.exception("could not open a case")
        reply.say(compose.say(reg.message("handoff.failed"), day))
        return
    if opened.created:
        announce_case(opened.case_id, state.province, state_of(tracker).topic, channel_of(tracker))
    reply.say(compose.say(reg.message("handoff.opened"), day, {"case_id": case_id}), [reg.button("referral:dispute")])
