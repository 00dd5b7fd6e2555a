"""Custom actions: thin translation between Rasa's tracker and ``actions.dialogue`` / ``knowledge``."""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from knowledge import parameters as P
from actions.dialogue import Reply, Turn, respond
from actions.ratelimit import RATE_LIMIT_REPLY, limiter_from_env

logger = logging.getLogger(__name__)
STATE_SLOTS = ("calc", "calc_inputs", "requested", "topic", "province", "last_inputs")
# Every channel (widget, REST, Telegram, Zalo): ANSINH_RATE_LIMIT questions per conversation (default 15/30 s).
LIMITER = limiter_from_env()


def today() -> dt.date:
    """The day whose rules apply; ANSINH_TODAY (YYYY-MM-DD) pins it for tests and demos."""
    pinned = os.environ.get("ANSINH_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unknown")[:32]


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    for text, buttons in reply.messages:
        if not text:
            continue
        if buttons:
            dispatcher.utter_message(text=text, buttons=[{"title": t, "payload": p} for t, p in buttons])
        else:
            dispatcher.utter_message(text=text)


class ActionRespond(Action):
    """Answers a topic question, runs a calculator step, or refers the user to the right offices."""

    def name(self) -> Text:
        return "action_respond"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if not LIMITER.allow(tracker.sender_id):
            dispatcher.utter_message(text=RATE_LIMIT_REPLY)
            return []
        latest = tracker.latest_message or {}
        turn = Turn(
            intent=(latest.get("intent") or {}).get("name") or "nlu_fallback",
            text=latest.get("text") or "",
            entities=list(latest.get("entities") or []),
            state={s: tracker.get_slot(s) for s in STATE_SLOTS},
            today=today(),
        )
        reply = respond(turn)
        send(dispatcher, reply)
        if reply.record_referral:
            try:
                store.record_referral(*reply.record_referral, channel=channel_of(tracker), day=turn.today)
            except Exception:  # noqa: BLE001 - a counter must never break the answer
                logger.exception("could not record referral")
        return [SlotSet(k, v) for k, v in reply.state.items() if k in STATE_SLOTS]


class ActionHandoff(Action):
    """Records a case for union staff / legal aid and tells the user what happens next."""

    def name(self) -> Text:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        user_texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][-5:]
        topic = tracker.get_slot("topic")
        province = tracker.get_slot("province")
        try:
            case_id = store.open_case(tracker.sender_id, channel_of(tracker), topic, province, "\n".join(user_texts))
        except Exception:  # noqa: BLE001
            logger.exception("could not open a case")
            dispatcher.utter_message(
                text="Xin lỗi, hệ thống ghi nhận yêu cầu đang gặp lỗi. Anh/chị vui lòng thử lại sau ít phút, "
                f"hoặc gọi tổng đài BHXH Việt Nam {P.value('vss_hotline', today())} cho câu hỏi về bảo hiểm."
            )
            return []
        dispatcher.utter_message(
            text=(
                f"Tôi đã ghi nhận yêu cầu gặp cán bộ tư vấn của anh/chị (mã hồ sơ {case_id}) kèm nội dung vừa trao đổi. "
                "Yêu cầu được lưu để cán bộ công đoàn, trợ giúp pháp lý xem xét. "
                "Trong lúc chờ, anh/chị có thể hỏi tôi tiếp, hoặc cho biết tỉnh/thành phố để tôi chỉ nơi hỗ trợ gần nhất."
            ),
            buttons=[{"title": "Tìm nơi hỗ trợ gần tôi", "payload": "/referral_request"}],
        )
        return [SlotSet("topic", "human_handoff")]
