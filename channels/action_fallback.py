"""The action server down, or failing: the user hears a polite apology instead of silence.

Rasa 3.6 runs our one custom action through ``RemoteAction.run``. When the action server cannot be reached,
times out, answers with an error status or with a reply that fails validation (channels/reply_validation.py),
``run`` raises, and ``MessageProcessor._run_action`` logs the error and carries on with no events: the user
gets nothing and cannot tell whether the message arrived. :func:`install` wraps ``RemoteAction.run`` so that
such a failure returns one bot utterance, ``action_unavailable`` of knowledge/content/conversation.yaml; the
conversation's state is untouched, so the next message, once the action server is back, is answered as if
nothing had happened. A refusal by the action itself (``ActionExecutionRejection``, HTTP 400) keeps Rasa's
own handling. Rasa has no extension point for this; the wrapper is pinned to the Rasa version it was read
from and refuses to install on another one. Installed with the pipeline (bot/components.py).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, List

import rasa

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"
MARK = "ansinh_action_fallback"
MESSAGE = "action_unavailable"


def apology(on: dt.date) -> str:
    from knowledge import compose

    return compose.say(MESSAGE, on)


def install(version: str = rasa.__version__) -> None:
    """Wrap ``RemoteAction.run`` (see the module's docstring). Idempotent."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered

    if version != PINNED_RASA:
        raise RuntimeError(
            f"channels.action_fallback wraps Rasa {PINNED_RASA}'s RemoteAction.run; this is Rasa {version}: check "
            f"that a failed action still raises out of RemoteAction.run and is swallowed by "
            f"MessageProcessor._run_action, then update the adapter")
    current = RemoteAction.run
    if getattr(current, MARK, False):
        return

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await current(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception:  # noqa: BLE001 - unreachable, timed out, 5xx, an invalid reply: all the same to the user
            logger.exception("action %s failed: the user is told to try again", self.name())
            return [BotUttered(apology(dt.date.today()), metadata={MARK: True})]

    setattr(run, MARK, True)
    RemoteAction.run = run  # type: ignore[method-assign]


def installed() -> bool:
    from rasa.core.actions.action import RemoteAction

    return bool(getattr(RemoteAction.run, MARK, False))
