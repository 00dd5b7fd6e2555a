"""The labour-portal widget's server side: Rasa's socket.io channel plus what the widget reads from it.

Registered in credentials.yml in place of ``socketio:`` (same settings, same ``/socket.io`` path):

    channels.widget_config.WidgetInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

Two additions to the built-in channel:

- ``GET /webhooks/socketio/config``: what the widget needs from the one source of each fact, so nothing
  is duplicated in JavaScript: the longest message the assistant reads (``actions.limits.MAX_MESSAGE_CHARS``,
  env ANSINH_MAX_MESSAGE_CHARS), the main topics as buttons (``menu:`` of knowledge/topics.yaml) and the
  first screen's texts (``greet`` and ``help.widget`` of knowledge/content/).
- A message the widget sends carries ``metadata.message_id``; the same id from the same conversation is
  handled once, so a message the widget re-sends after a lost connection (it cannot know whether the first
  try arrived) reaches the assistant once. The memory of ids is per process (a few thousand recent ids).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Hashable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.limits import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)

GREETING_ENTRY = "greet"
SCOPE_ENTRY = "help.widget"
MAX_ID_CHARS = 64
REMEMBERED_IDS = 5000


def _today() -> dt.date:
    pinned = os.environ.get("ANSINH_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def widget_config() -> Dict[str, Any]:
    """The widget's settings. The limit is always there; texts or topics that fail to load are left out
    (logged) and the widget falls back to its short built-in greeting."""
    config: Dict[str, Any] = {"max_chars": MAX_MESSAGE_CHARS}
    try:
        from knowledge.registry import registry

        config["topics"] = [{"title": b.title, "payload": b.payload} for b in registry().menu_buttons()]
    except Exception:  # noqa: BLE001 - the limit must still be served
        logger.exception("widget config: the topic menu did not load")
    try:
        from knowledge import compose

        on = _today()
        config["greeting"] = compose.say(GREETING_ENTRY, on)
        config["scope"] = compose.say(SCOPE_ENTRY, on)
    except Exception:  # noqa: BLE001
        logger.exception("widget config: the first screen's texts did not load")
    return config


class Once:
    """Remembers the most recent keys; ``first(key)`` is True the first time a key is seen."""

    def __init__(self, size: int = REMEMBERED_IDS) -> None:
        self.size = size
        self._seen: "OrderedDict[Hashable, None]" = OrderedDict()

    def first(self, key: Hashable) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def message_id(message: UserMessage) -> Optional[str]:
    meta = message.metadata if isinstance(message.metadata, dict) else {}
    mid = meta.get("message_id")
    return str(mid)[:MAX_ID_CHARS] if isinstance(mid, (str, int)) and str(mid) else None


def share_rooms(sio, url: Optional[str] = None) -> bool:
    """With ANSINH_SOCKETIO_REDIS_URL set, the socket.io server shares its rooms through Redis, so a message
    emitted on any Rasa replica (a staff reply, channels/takeover.py) reaches a user connected to another.
    Must run before the first connection (the manager is initialised then)."""
    url = url or os.environ.get("ANSINH_SOCKETIO_REDIS_URL")
    if not url or sio is None:
        return False
    import socketio

    manager = socketio.AsyncRedisManager(url, channel="ansinh-widget")
    sio.manager = manager
    manager.set_server(sio)
    logger.info("widget: socket.io rooms shared through Redis")
    return True


class WidgetInput(SocketIOInput):
    """Rasa's socket.io channel (name ``socketio``) with the widget's config route and once-only delivery."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        once = Once()

        async def handle_once(message: UserMessage) -> None:
            mid = message_id(message)
            if mid is not None and not once.first((message.sender_id, mid)):
                logger.info("widget: message %s of %s already handled; ignored", mid, message.sender_id)
                return
            await on_new_message(message)

        bp = super().blueprint(handle_once)
        share_rooms(self.sio)
        self._notices_on_visit()

        @bp.route("/config", methods=["GET"])
        async def config(_: Request) -> HTTPResponse:
            return response.json(widget_config(), headers={"Cache-Control": "max-age=300"})

        return bp

    def _notices_on_visit(self) -> None:
        """Outreach notices waiting for this visitor (``waiting_visit``, outreach/scheduler.py) are sent when
        their session is confirmed, i.e. at their next visit; ``session_end`` (the widget's "Bắt đầu lại" on a
        shared device) ends the session's web subscriptions."""
        sio, ns = self.sio, self.namespace or "/"
        handlers = sio.handlers.get(ns, {})
        confirm = handlers.get("session_request")
        if confirm is None:
            logger.warning("widget: no session_request handler to extend; web notices are not shown")
            return

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            await confirm(sid, data)
            session_id = (data or {}).get("session_id") if isinstance(data, dict) else None
            if not session_id:
                return
            try:
                from actions import store
                from outreach.subscriptions import pending_notices

                texts = pending_notices(store.engine(), str(session_id)[:128])
            except Exception:  # noqa: BLE001 - the conversation must start anyway
                logger.exception("widget: pending notices could not be read")
                return
            for text in texts:
                await sio.emit(self.bot_message_evt, {"text": text, "notice": True}, room=sid, namespace=ns)

        async def session_end(sid: Text, data: Optional[Dict]) -> None:
            session_id = (data or {}).get("session_id") if isinstance(data, dict) else None
            if not session_id:
                return
            try:
                from actions import store
                from outreach.subscriptions import unsubscribe

                unsubscribe(store.engine(), str(session_id)[:128], reason="restart")
            except Exception:  # noqa: BLE001
                logger.exception("widget: the session's subscriptions could not be ended")

        sio.on("session_request", session_request, namespace=ns)
        sio.on("session_end", session_end, namespace=ns)

    @classmethod
    def name(cls) -> Text:
        return "socketio"
