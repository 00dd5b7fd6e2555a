"""Zalo Official Account connector.

Enable it in credentials.yml:

    channels.zalo.ZaloInput:
      app_id: ${ZALO_APP_ID}
      app_secret: ${ZALO_APP_SECRET}            # app secret key: token refresh
      oa_secret_key: ${ZALO_OA_SECRET_KEY}      # OA secret key: webhook signatures
      access_token: ${ZALO_ACCESS_TOKEN}        # first pair from the OA authorisation; later pairs live in the database
      refresh_token: ${ZALO_REFRESH_TOKEN}
      database_url: ${ANSINH_DB_URL}            # optional; default sqlite:///zalo.db

Zalo posts events to ``/webhooks/zalo/webhook``. Each event is verified (``X-ZEvent-Signature`` = SHA-256
hex of app_id + raw body + timestamp + OA secret key, optionally prefixed ``mac=``), rejected when forged
or stale, de-duplicated on ``message.msg_id`` (Zalo retries), acknowledged with HTTP 200 at once, and
handed to Rasa in the background. Replies go through the customer-service message API, only inside the
reply window (48 hours after the user's last message, at most 8 messages without a user reply); a reply
outside it is stored as undelivered and logged, never silently dropped. Zalo text has no markdown and
no buttons here: buttons become numbered choices ("Trả lời 1, 2 ...").
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import NON_TEXT_REPLY, in_background, split_message, too_long_reply
from channels.zalo_client import ZaloApiError, ZaloClient
from channels.zalo_store import ZaloStore
from knowledge.text import fold
from cases import log_masking

logger = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach this process's logs

MAX_ZALO_TEXT = 2000  # conservative: the CS text limit is not documented in our sources
REPLY_WINDOW = dt.timedelta(hours=48)
MAX_UNANSWERED = 8
MAX_EVENT_AGE = dt.timedelta(minutes=10)
TEXT_EVENTS = {"user_send_text"}
NON_TEXT_EVENTS = {"user_send_image", "user_send_file", "user_send_sticker", "user_send_gif", "user_send_location",
                   "user_send_audio", "user_send_video", "user_send_link", "user_send_business_card"}


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def verify(headers_value: str, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    given = (headers_value or "").strip()
    if given.lower().startswith("mac="):
        given = given[4:]
    expected = signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(given.lower(), expected)


class RejectedEvent(ValueError):
    """A webhook body the connector refuses: ``status`` is the HTTP answer, ``error`` says why."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status} {error}")
        self.status, self.error = status, error


def _part(event: Dict[str, Any], key: str) -> Dict[str, Any]:
    """``event[key]`` when it is an object, else an empty one (a forged or broken event)."""
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def read_event(raw: bytes, signature_header: str, app_id: str, oa_secret_key: str, now: dt.datetime) -> Tuple[Dict[str, Any], str]:
    """The event of a webhook body, and the id that de-duplicates it; :class:`RejectedEvent` when the body is
    not a JSON object with a timestamp (400), is for another app or not signed with our key (401), has a
    timestamp that is not a time (400) or is older or newer than ``MAX_EVENT_AGE`` (401)."""
    try:
        event = json.loads(raw)
        if not isinstance(event, dict) or "timestamp" not in event:
            raise ValueError("not an event")
        timestamp = str(event["timestamp"])
    except Exception:  # noqa: BLE001 - whatever the body is, it is the sender's error
        raise RejectedEvent(400, "malformed event") from None
    if str(event.get("app_id")) != app_id or not verify(signature_header, app_id, raw, timestamp, oa_secret_key):
        raise RejectedEvent(401, "invalid signature")
    try:
        sent_at = dt.datetime.utcfromtimestamp(int(timestamp) / 1000)
    except (ValueError, OverflowError, OSError):
        raise RejectedEvent(400, "bad timestamp") from None
    if abs(now - sent_at) > MAX_EVENT_AGE:
        raise RejectedEvent(401, "stale event")
    message, sender = _part(event, "message"), _part(event, "sender")
    msg_id = message.get("msg_id") or f"{event.get('event_name')}:{timestamp}:{sender.get('id')}"
    return event, str(msg_id)


def numbered(text: str, buttons: List[Dict[str, Any]]) -> str:
    lines = [text.rstrip(), ""] + [f"{i}. {b['title']}" for i, b in enumerate(buttons, 1)]
    lines.append("(Anh/chị trả lời bằng số để chọn.)")
    return "\n".join(lines)


class ZaloOutput(OutputChannel):
    """Sends customer-service messages to one Zalo user, inside the reply window."""

    @classmethod
    def name(cls) -> Text:
        return "zalo"

    def __init__(self, client: ZaloClient, store: ZaloStore) -> None:
        self.client, self.store = client, store

    def outside_window(self, user_id: str) -> Optional[str]:
        w = self.store.window(user_id)
        if w is None:
            return "no user message on record (outside the 48-hour reply window)"
        last, sent = w
        if dt.datetime.utcnow() - last > REPLY_WINDOW:
            return "more than 48 hours since the user's last message"
        if sent >= MAX_UNANSWERED:
            return f"{MAX_UNANSWERED} messages already sent without a user reply"
        return None

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for piece in split_message(text, MAX_ZALO_TEXT):
            reason = self.outside_window(recipient_id)
            if reason:
                logger.warning("zalo: not sending to %s: %s", recipient_id, reason)
                self.store.report_undelivered(recipient_id, piece, reason)
                continue
            try:
                await self.client.send_text(recipient_id, piece)
                self.store.count_sent(recipient_id)
            except ZaloApiError as err:
                logger.error("zalo: message to %s not delivered: %s", recipient_id, err)
                self.store.report_undelivered(recipient_id, piece, f"api error {err.code or err.status}: {err}"[:200])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self.store.offer(recipient_id, [b.get("payload") or b["title"] for b in buttons])
        await self.send_text_message(recipient_id, numbered(text, buttons))

    async def send_quick_replies(self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        if json_message.get("text"):
            await self.send_text_message(recipient_id, json_message["text"])


class ZaloInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        c = credentials or {}
        missing = [k for k in ("app_id", "app_secret", "oa_secret_key") if not c.get(k)]
        if missing:
            raise ValueError(f"zalo: missing credentials {missing}")
        return cls(
            app_id=str(c["app_id"]), app_secret=str(c["app_secret"]), oa_secret_key=str(c["oa_secret_key"]),
            access_token=c.get("access_token"), refresh_token=c.get("refresh_token"),
            database_url=c.get("database_url") or os.environ.get("ANSINH_DB_URL") or "sqlite:///zalo.db",
            api_base=c.get("api_base") or "https://openapi.zalo.me",
            oauth_base=c.get("oauth_base") or "https://oauth.zaloapp.com",
        )

    def __init__(self, app_id: str, app_secret: str, oa_secret_key: str, database_url: str,
                 access_token: Optional[str] = None, refresh_token: Optional[str] = None,
                 api_base: str = "https://openapi.zalo.me", oauth_base: str = "https://oauth.zaloapp.com") -> None:
        self.app_id, self.oa_secret_key = app_id, oa_secret_key
        self.store = ZaloStore(database_url)
        if access_token and refresh_token:
            self.store.seed_tokens(access_token, refresh_token)
        self.client = ZaloClient(self.store, app_id, app_secret, api_base=api_base, oauth_base=oauth_base)
        self._tasks: set = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        return ZaloOutput(self.client, self.store)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("zalo_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                event, msg_id = read_event(request.body or b"", request.headers.get("X-ZEvent-Signature", ""),
                                           self.app_id, self.oa_secret_key, dt.datetime.utcnow())
            except RejectedEvent as rejected:
                return response.json({"error": rejected.error}, status=rejected.status)
            if not self.store.first_time(msg_id):
                return response.json({"status": "duplicate"})
            in_background(self._tasks, self._handle(event, on_new_message))
            return response.json({"status": "accepted"})

        return hook

    async def _handle(self, event: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            name = event.get("event_name", "")
            user_id = str(_part(event, "sender").get("id") or _part(event, "follower").get("id") or "")
            if not user_id:
                return
            out = ZaloOutput(self.client, self.store)
            if name == "unfollow":
                return
            self.store.user_wrote(user_id)
            if name == "follow":
                text = "/greet"
            elif name in TEXT_EVENTS:
                text = str(_part(event, "message").get("text") or "").strip()
                m = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", fold(text))
                if m:
                    text = self.store.choice(user_id, int(m.group(1))) or text
            elif name in NON_TEXT_EVENTS:
                await out.send_text_message(user_id, NON_TEXT_REPLY)
                return
            else:
                return
            refusal = too_long_reply(text)
            if refusal:
                await out.send_text_message(user_id, refusal)
                return
            await on_new_message(UserMessage(text, out, user_id, input_channel=self.name(),
                                             metadata={"zalo_event": name, "msg_id": _part(event, "message").get("msg_id")}))
        except Exception:  # noqa: BLE001 - a background task must log, not vanish
            logger.exception("zalo: failed to handle event")
