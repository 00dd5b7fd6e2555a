"""Human takeover, Rasa's side: staff replies delivered in the user's own channel, and paused conversations
that still reach the action server.

Registered in credentials.yml (the module's import also installs the adapter below):

    channels.takeover.StaffRelayInput:

**Routes** (``/webhooks/staff/...``), for the staff console only: ``Authorization: Bearer <ANSINH_RASA_TOKEN>``
(the token Rasa's own HTTP API is locked with; without one set, the routes refuse everything with 503).

- ``POST deliver`` ``{"sender_id", "text", "buttons"?, "staff"?}``: sends ``text`` through the channel the user
  wrote in last (Telegram, Zalo, the web widget, Rasa's callback channel), pauses the conversation
  (``ConversationPaused``) and appends the message to the tracker as a bot utterance marked with the staff
  member's name. Answers ``{"status": "delivered" | "sent" | "undeliverable", "reason", "channel",
  "platform_message_id"}``: delivered = the platform accepted it for this user (Telegram, Zalo, the callback
  URL answered 2xx); sent = handed on without confirmation (socket.io; a Telegram timeout, whose outcome is
  unknown and which is not repeated); undeliverable = it could not go (Zalo's 48-hour window, a user who
  blocked the bot, REST, which cannot push) with the reason in Vietnamese for staff.
- ``POST resume`` ``{"sender_id", "text"?, "buttons"?}``: ``ConversationResumed`` (the bot answers again) and
  the text delivered as above (the hand-back notice, the request for a rating).
- ``POST pause`` ``{"sender_id"}``: ``ConversationPaused`` only.
- ``deliver`` with ``"notice": true`` (the outreach scheduler's reminders and campaigns): delivered the same
  way, marked ``outreach`` in the tracker, and the conversation is **not** paused.

Any replica can serve these routes. Telegram, Zalo and callback deliveries are plain API calls. The widget's
socket.io connection lives on one replica; with ``ANSINH_SOCKETIO_REDIS_URL`` set, the widget channel
(channels/widget_config.py) shares rooms through Redis (python-socketio's AsyncRedisManager), so an emit on
any replica reaches the user's socket. Without it (the embedded default, one process) it is emitted locally.

**The adapter.** Rasa 3.6 predicts nothing for a paused tracker (``MessageProcessor._should_handle_message``),
so a paused user's "hồ sơ của tôi đến đâu rồi" or "rút yêu cầu" would go unanswered and their messages
would never reach the case. :func:`install` makes paused conversations run the policies too; the action
(``actions/actions.py``, ``actions.dialogue.while_paused``) is then the one guard: it answers only the
case's own requests and otherwise records the message on the case and says nothing. That guard also covers
``trigger_intent`` and ``execute`` from Rasa's HTTP API, which run an action on a paused tracker anyway. The
adapter is pinned to the Rasa version it was read from, and refuses to install on another one.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import rasa
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import reply_validation

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"
MAX_TEXT = 4000
MAX_BUTTONS = 10

# Reasons shown to staff (the console is Vietnamese; these are its words, not the assistant's).
REASONS = {
    "rest": "Người dùng viết qua kênh REST, kênh này không nhận được tin nhắn chủ động (tích hợp nên dùng kênh callback).",
    "no_channel": "Kênh {channel} của người dùng chưa được cấu hình trên máy chủ trợ lý.",
    "zalo_window": "Zalo chỉ cho phép nhắn trong 48 giờ kể từ tin nhắn cuối của người dùng: {detail}.",
    "telegram_blocked": "Người dùng đã chặn hoặc xóa bot Telegram.",
    "telegram_refused": "Telegram từ chối tin nhắn: {detail}.",
    "timeout": "Hết thời gian chờ; không rõ tin đã đến chưa (không gửi lại để tránh trùng).",
    "api_error": "Lỗi khi gửi: {detail}.",
    "callback_error": "Địa chỉ callback của bên tích hợp không nhận tin: {detail}.",
}


# --- the adapter ------------------------------------------------------------------------------------------

def install(version: str = rasa.__version__) -> None:
    """Let paused conversations reach the policies (see the module's docstring). Idempotent."""
    from rasa.core.processor import MessageProcessor

    if version != PINNED_RASA:
        raise RuntimeError(
            f"channels.takeover reads Rasa {PINNED_RASA}'s MessageProcessor._should_handle_message; this is Rasa "
            f"{version}: check that paused conversations still skip prediction there, then update the adapter"
        )
    current = MessageProcessor.__dict__.get("_should_handle_message")
    if getattr(getattr(current, "__func__", current), "ansinh_takeover", False):
        return
    if not isinstance(current, staticmethod):
        raise RuntimeError("MessageProcessor._should_handle_message is no longer a staticmethod: update the adapter")

    def _should_handle_message(tracker) -> bool:  # noqa: ANN001 - Rasa's DialogueStateTracker
        return True  # paused or not: the action decides whether to speak (actions.dialogue.while_paused)

    _should_handle_message.ansinh_takeover = True  # type: ignore[attr-defined]
    MessageProcessor._should_handle_message = staticmethod(_should_handle_message)


def installed() -> bool:
    from rasa.core.processor import MessageProcessor

    current = MessageProcessor.__dict__.get("_should_handle_message")
    return bool(getattr(getattr(current, "__func__", current), "ansinh_takeover", False))


install()
# The other Rasa-side adapter rides on this module's import, which credentials.yml always makes.
reply_validation.install()


# --- delivery ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    status: Optional[str]  # delivered, sent, undeliverable; None when nothing was to be sent
    reason: Optional[str] = None
    channel: Optional[str] = None
    platform_message_id: Optional[str] = None


class RelayError(ValueError):
    """A request to the relay that cannot be carried out (HTTP status and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _output_for(channel: Optional[str], input_channels: List[InputChannel]) -> Optional[OutputChannel]:
    for ch in input_channels:
        if ch.name() == channel:
            out = ch.get_output_channel()
            if out is not None:
                return out
    return None


async def deliver(channel: Optional[str], sender_id: str, text: str, buttons: List[Dict[str, str]],
                  input_channels: List[InputChannel]) -> Delivery:
    """Send one staff message through the user's channel; what became of it."""
    if channel == "rest":
        return Delivery("undeliverable", REASONS["rest"], channel)
    out = _output_for(channel, input_channels)
    if out is None:
        return Delivery("undeliverable", REASONS["no_channel"].format(channel=channel or "?"), channel)
    name = out.name()
    try:
        if name == "telegram":
            return await _telegram(out, sender_id, text, buttons)
        if name == "zalo":
            return await _zalo(out, sender_id, text, buttons)
        if name == "callback":
            return await _callback(out, sender_id, text, buttons)
        if buttons:
            await out.send_text_with_buttons(sender_id, text, buttons)
        else:
            await out.send_text_message(sender_id, text)
    except asyncio.TimeoutError:
        return Delivery("sent", REASONS["timeout"], channel)
    except Exception as err:  # noqa: BLE001 - every failure becomes a status staff can read
        logger.warning("staff message to a %s user not delivered: %s", channel, type(err).__name__)
        key = "callback_error" if name == "callback" else "api_error"
        return Delivery("undeliverable", REASONS[key].format(detail=type(err).__name__), channel)
    # socket.io hands the message to the user's open connection without confirming it.
    return Delivery("sent", None, channel)


async def _callback(out: OutputChannel, sender_id: str, text: str, buttons: List[Dict[str, str]]) -> Delivery:
    """Rasa's CallbackOutput logs a refused POST and carries on; the relay posts the same message itself, so
    a refusal is seen (the body Rasa's callback channel sends: recipient_id, text, buttons)."""
    from rasa.utils.endpoints import ClientResponseError

    message: Dict[str, Any] = {"recipient_id": sender_id, "text": text}
    if buttons:
        message["buttons"] = buttons
    try:
        await out.callback_endpoint.request("post", content_type="application/json", json=message)
    except ClientResponseError as err:
        return Delivery("undeliverable", REASONS["callback_error"].format(detail=f"HTTP {err.status}"), "callback")
    return Delivery("delivered", None, "callback")


async def _telegram(out: OutputChannel, chat_id: str, text: str, buttons: List[Dict[str, str]]) -> Delivery:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.constants import ParseMode
    from telegram.error import BadRequest, Forbidden, TimedOut

    from channels.common import split_message
    from channels.telegram import MAX_MESSAGE, to_html

    bot = out.bot  # channels.telegram.TelegramOutput
    pieces = split_message(to_html(text), MAX_MESSAGE) or ["…"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(b["title"][:64], callback_data=(b.get("payload") or b["title"])[:64])]
                                   for b in buttons]) if buttons else None
    last = None
    try:
        for i, piece in enumerate(pieces):
            last = await bot.send_message(chat_id=chat_id, text=piece, parse_mode=ParseMode.HTML,
                                          reply_markup=markup if i == len(pieces) - 1 else None)
    except Forbidden:
        return Delivery("undeliverable", REASONS["telegram_blocked"], "telegram")
    except BadRequest as err:
        return Delivery("undeliverable", REASONS["telegram_refused"].format(detail=str(err)[:120]), "telegram")
    except TimedOut:
        return Delivery("sent", REASONS["timeout"], "telegram")
    return Delivery("delivered", None, "telegram", str(getattr(last, "message_id", "") or "") or None)


async def _zalo(out: OutputChannel, user_id: str, text: str, buttons: List[Dict[str, str]]) -> Delivery:
    from channels.common import split_message
    from channels.zalo import MAX_ZALO_TEXT, numbered
    from channels.zalo_client import ZaloApiError

    if buttons:
        out.store.offer(user_id, [b.get("payload") or b["title"] for b in buttons])
        text = numbered(text, buttons)
    msg_id = None
    for piece in split_message(text, MAX_ZALO_TEXT):
        outside = out.outside_window(user_id)
        if outside:
            return Delivery("undeliverable", REASONS["zalo_window"].format(detail=outside), "zalo")
        try:
            data = await out.client.send_text(user_id, piece)
        except ZaloApiError as err:
            return Delivery("undeliverable", REASONS["api_error"].format(detail=f"Zalo {err.code or err.status}"), "zalo")
        except asyncio.TimeoutError:
            return Delivery("sent", REASONS["timeout"], "zalo")
        out.store.count_sent(user_id)
        msg_id = ((data or {}).get("data") or {}).get("message_id") or msg_id
    return Delivery("delivered", None, "zalo", str(msg_id) if msg_id else None)


# --- the routes -------------------------------------------------------------------------------------------

def _token() -> Optional[str]:
    return os.environ.get("ANSINH_RASA_TOKEN") or None


def _authorised(request: Request) -> Optional[HTTPResponse]:
    token = _token()
    if token is None:
        return response.json({"error": "the staff relay is off: ANSINH_RASA_TOKEN is not set"}, status=503)
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), token.encode()):
        return response.json({"error": "unauthorised"}, status=401)
    return None


def _body(request: Request, need_text: bool) -> Dict[str, Any]:
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - sanic raises its own error for invalid JSON
        body = None
    if not isinstance(body, dict):
        raise RelayError(400, "the body must be a JSON object")
    sender = body.get("sender_id")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 255:
        raise RelayError(400, "sender_id must be a non-empty string")
    text = body.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise RelayError(400, "text must be a non-empty string")
    if need_text and text is None:
        raise RelayError(400, "text is required")
    if text is not None and len(text) > MAX_TEXT:
        raise RelayError(400, f"text is longer than {MAX_TEXT} characters")
    buttons = body.get("buttons") or []
    if not isinstance(buttons, list) or len(buttons) > MAX_BUTTONS or not all(
            isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload", ""), str) for b in buttons):
        raise RelayError(400, f"buttons must be a list of at most {MAX_BUTTONS} {{title, payload}} objects")
    staff = body.get("staff")
    return {"sender_id": sender, "text": text, "buttons": [{"title": b["title"], "payload": b.get("payload") or b["title"]} for b in buttons],
            "staff": staff if isinstance(staff, str) else None, "notice": body.get("notice") is True}


class StaffRelayInput(InputChannel):
    """The staff console's way into a conversation (no user messages come in here)."""

    @classmethod
    def name(cls) -> Text:
        return "staff"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("staff_relay", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "adapter": installed()})

        async def handle(request: Request, kind: str) -> HTTPResponse:
            refused = _authorised(request)
            if refused is not None:
                return refused
            try:
                body = _body(request, need_text=kind == "deliver")
                result = await self._act(request, kind, body)
            except RelayError as err:
                return response.json({"error": str(err)}, status=err.status)
            return response.json(result)

        @bp.route("/deliver", methods=["POST"])
        async def deliver_route(request: Request) -> HTTPResponse:
            return await handle(request, "deliver")

        @bp.route("/resume", methods=["POST"])
        async def resume_route(request: Request) -> HTTPResponse:
            return await handle(request, "resume")

        @bp.route("/pause", methods=["POST"])
        async def pause_route(request: Request) -> HTTPResponse:
            return await handle(request, "pause")

        return bp

    async def _act(self, request: Request, kind: str, body: Dict[str, Any]) -> Dict[str, Any]:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            raise RelayError(503, "no model loaded")
        sender = body["sender_id"]
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.retrieve(sender)
            if tracker is None:
                raise RelayError(404, "no such conversation")
            channel = tracker.get_latest_input_channel()
            if kind == "pause":
                if not tracker.is_paused():
                    tracker.update(ConversationPaused())
                    await agent.tracker_store.save(tracker)
                return {"paused": True}
            if kind == "deliver" and not body["notice"] and not tracker.is_paused():
                tracker.update(ConversationPaused())  # before sending: the bot never answers alongside
            if kind == "resume" and tracker.is_paused():
                tracker.update(ConversationResumed())
            result = Delivery(None, None, channel)
            if body["text"]:
                input_channels = getattr(request.app.ctx, "input_channels", None) or []
                result = await deliver(channel, sender, body["text"], body["buttons"], input_channels)
                data = {"buttons": body["buttons"]} if body["buttons"] else {}
                who = {"outreach": True} if body["notice"] else {"staff": body["staff"] or True}
                tracker.update(BotUttered(body["text"], data, metadata={**who, "delivery": result.status}))
            await agent.tracker_store.save(tracker)
        logger.info("staff %s for a %s conversation: %s", kind, channel, result.status)
        return asdict(result)
