"""Overload: beyond what the process can take, a message is refused at once with a polite "busy" reply
instead of waiting in a queue until the client gives up.

Every channel (REST, the widget's socket.io, Telegram, Zalo) hands its messages to ``Agent.handle_message``.
:func:`install` wraps it with a count of the messages being handled in this process: when
``ANSINH_MAX_IN_FLIGHT`` (default 64) are already in hand, the new one is answered through its own channel
with ``busy`` of knowledge/content/conversation.yaml and is not processed (nothing of it is stored: the user
is asked to send it again). Below the limit nothing changes, except that a message that fails on the way
(the tracker store's database unreachable, so it cannot be read or stored) is answered with ``not_saved``
instead of Rasa's silence: the user knows to send it again, and no message is taken in and then lost.
Rasa has no extension point for admission; the wrapper is pinned to the Rasa version it was read from.
Installed with the pipeline (bot/components.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Optional

import rasa

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"
MARK = "ansinh_admission"
MESSAGE = "busy"
NOT_SAVED = "not_saved"
DEFAULT_MAX_IN_FLIGHT = 64


class _Count:
    in_flight = 0
    refused = 0
    limit = DEFAULT_MAX_IN_FLIGHT


COUNT = _Count()


def max_in_flight(env: Any = os.environ) -> int:
    raw = str(env.get("ANSINH_MAX_IN_FLIGHT", "") or "").strip()
    value = int(raw) if raw else DEFAULT_MAX_IN_FLIGHT
    if value < 1:
        raise ValueError(f"ANSINH_MAX_IN_FLIGHT must be at least 1, not {raw}")
    return value


def _say(key: str, on: dt.date) -> str:
    from knowledge import compose

    return compose.say(key, on)


def not_saved(on: dt.date) -> str:
    return _say(NOT_SAVED, on)


def busy(on: dt.date) -> str:
    return _say(MESSAGE, on)


def install(version: str = rasa.__version__, limit: Optional[int] = None) -> None:
    """Wrap ``Agent.handle_message`` (see the module's docstring). Idempotent."""
    from rasa.core.agent import Agent

    if version != PINNED_RASA:
        raise RuntimeError(
            f"channels.admission wraps Rasa {PINNED_RASA}'s Agent.handle_message; this is Rasa {version}: check "
            f"that every input channel still calls it for each message, then update the adapter")
    current = Agent.handle_message
    if getattr(current, MARK, False):
        return
    COUNT.limit = limit or max_in_flight()

    async def handle_message(self: Agent, message: Any) -> Any:
        if COUNT.in_flight >= COUNT.limit:
            COUNT.refused += 1
            logger.warning("overloaded: %d messages in hand, one refused (%d so far)", COUNT.in_flight, COUNT.refused)
            try:
                await message.output_channel.send_text_message(message.sender_id, busy(dt.date.today()))
            except Exception:  # noqa: BLE001 - the channel's own error; the message was refused either way
                logger.exception("could not send the busy reply")
            return None
        COUNT.in_flight += 1
        try:
            return await current(self, message)
        except Exception:  # noqa: BLE001 - e.g. the tracker store's database down: say so, do not go silent
            logger.exception("a message could not be handled (or its conversation not stored)")
            try:
                await message.output_channel.send_text_message(message.sender_id, not_saved(dt.date.today()))
            except Exception:  # noqa: BLE001
                logger.exception("could not send the not-saved reply")
            return None
        finally:
            COUNT.in_flight -= 1

    setattr(handle_message, MARK, True)
    Agent.handle_message = handle_message  # type: ignore[method-assign]
