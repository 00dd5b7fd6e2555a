"""The console's client of Rasa's staff-takeover webhooks (channels/takeover.py): a staff reply reaches the
user in their own channel, and the console pauses and resumes the bot.

    relay = RasaRelay(settings.rasa_url, settings.rasa_token)
    d = await relay.deliver(sender_id, "Chào anh/chị ...", staff="Cán bộ Minh")   # -> Delivery
    d = await relay.resume(sender_id, text="...", buttons=[{"title": "1", "payload": "1"}])
    await relay.pause(sender_id)                                                   # RelayError if it failed

All calls are ``POST {base_url}/webhooks/staff/<deliver|resume|pause>`` with ``Authorization: Bearer <token>``
and a JSON body. ``deliver`` and ``resume`` never raise: a network error, a timeout or a refusal comes back as
``Delivery("undeliverable", <short Vietnamese reason>, accepted=False)``, which the case page shows to staff.
``pause`` raises :class:`RelayError` (its message is Vietnamese too).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import urljoin

import aiohttp

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # the takeover webhook's limit on one message
REASON_MAX = 255  # case_messages.delivery_reason
STATUSES = ("sent", "delivered", "undeliverable")

UNREACHABLE = "Không kết nối được máy chủ trợ lý"
TIMED_OUT = "Máy chủ trợ lý không trả lời kịp"
# What each refusal of the webhook means to staff.
REFUSALS = {
    400: "Máy chủ trợ lý từ chối tin nhắn (nội dung không hợp lệ)",
    401: "Máy chủ trợ lý từ chối mã truy cập của bàn làm việc (kiểm tra ANSINH_RASA_TOKEN)",
    403: "Máy chủ trợ lý từ chối mã truy cập của bàn làm việc (kiểm tra ANSINH_RASA_TOKEN)",
    404: "Máy chủ trợ lý không tìm thấy cuộc trò chuyện của người dùng",
    503: "Kênh trò chuyện của người dùng chưa được cấu hình trên máy chủ trợ lý",
}


class RelayError(Exception):
    """A call to Rasa's takeover webhook failed; ``str(err)`` is a short Vietnamese reason."""


@dataclass(frozen=True)
class Delivery:
    """What Rasa said of a message: ``status`` sent / delivered / undeliverable (None: a resume without text),
    ``reason`` why undeliverable, the channel used, the platform's id of the message. ``accepted`` is False when
    Rasa did not take the call at all (unreachable, refused): then nothing happened to the conversation."""

    status: Optional[str]
    reason: Optional[str] = None
    channel: Optional[str] = None
    platform_message_id: Optional[str] = None
    accepted: bool = True

    @property
    def ok(self) -> bool:
        return self.accepted and self.status != "undeliverable"


def _failed(reason: str) -> Delivery:
    return Delivery("undeliverable", reason[:REASON_MAX], None, None, accepted=False)


def _buttons(buttons: Optional[Sequence[Mapping[str, Any]]]) -> Optional[List[Dict[str, str]]]:
    if not buttons:
        return None
    return [{"title": str(b["title"]), "payload": str(b["payload"])} for b in buttons]


class RasaRelay:
    """Async client of ``/webhooks/staff/*`` on the Rasa server at ``base_url``."""

    def __init__(self, base_url: str, token: Optional[str], timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.token, self.timeout = token, timeout

    async def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        """The JSON answer of a 200; RelayError with a Vietnamese reason otherwise."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = urljoin(self.base_url, path)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
                async with session.post(url, json=body, headers=headers) as r:
                    if r.status != 200:
                        log.warning("takeover webhook %s answered %s", path, r.status)
                        raise RelayError(REFUSALS.get(r.status) or (
                            f"Máy chủ trợ lý đang lỗi (mã {r.status})" if r.status >= 500 else f"Máy chủ trợ lý từ chối (mã {r.status})"))
                    try:
                        data = await r.json(content_type=None)
                    except ValueError:
                        data = None
        except RelayError:
            raise
        except (asyncio.TimeoutError, TimeoutError) as err:
            log.warning("takeover webhook %s: %s", path, type(err).__name__)
            raise RelayError(TIMED_OUT) from None
        except (aiohttp.ClientError, OSError) as err:
            log.warning("takeover webhook %s unreachable: %s", path, type(err).__name__)
            raise RelayError(UNREACHABLE) from None
        if not isinstance(data, dict):
            raise RelayError("Máy chủ trợ lý trả lời không hợp lệ")
        return data

    @staticmethod
    def _delivery(data: Mapping[str, Any]) -> Delivery:
        status = data.get("status")
        if status is not None and status not in STATUSES:
            return Delivery("undeliverable", "Máy chủ trợ lý trả lời trạng thái không rõ", data.get("channel"), None)
        reason = data.get("reason")
        pid = data.get("platform_message_id")
        return Delivery(status, str(reason)[:REASON_MAX] if reason else None, data.get("channel") or None,
                        str(pid) if pid is not None else None)

    async def deliver(self, sender_id: str, text: str, buttons: Optional[Sequence[Mapping[str, Any]]] = None,
                      staff: Optional[str] = None) -> Delivery:
        """Send a staff message to the user in their latest channel (Rasa pauses the bot and records it)."""
        body: Dict[str, Any] = {"sender_id": sender_id, "text": text[:MAX_TEXT]}
        if _buttons(buttons):
            body["buttons"] = _buttons(buttons)
        if staff:
            body["staff"] = staff
        try:
            return self._delivery(await self._post("webhooks/staff/deliver", body))
        except RelayError as err:
            return _failed(str(err))

    async def resume(self, sender_id: str, text: Optional[str] = None,
                     buttons: Optional[Sequence[Mapping[str, Any]]] = None) -> Delivery:
        """Let the bot answer again (ConversationResumed), with a last message if ``text`` is given."""
        body: Dict[str, Any] = {"sender_id": sender_id}
        if text:
            body["text"] = text[:MAX_TEXT]
            if _buttons(buttons):
                body["buttons"] = _buttons(buttons)
        try:
            return self._delivery(await self._post("webhooks/staff/resume", body))
        except RelayError as err:
            return _failed(str(err))

    async def pause(self, sender_id: str) -> None:
        """Keep the bot silent (ConversationPaused) while staff handle the conversation."""
        data = await self._post("webhooks/staff/pause", {"sender_id": sender_id})
        if data.get("paused") is not True:
            raise RelayError("Máy chủ trợ lý không tạm dừng được cuộc trò chuyện")
