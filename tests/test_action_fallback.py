"""channels/action_fallback.py: a failed action server call gives the user an apology, not silence; a
refusal by the action keeps Rasa's handling; other Rasa versions are refused. (Over REST, with the action
server stopped and started again: tests/test_server.py.)"""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from channels import action_fallback
from tests.servers import free_port

DOMAIN = Domain.from_yaml("version: '3.1'\nactions: [action_respond]\n")


def _run(url: str):
    action_fallback.install()
    action = RemoteAction("action_respond", EndpointConfig(url))
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    return asyncio.run(action.run(CollectingOutputChannel(), None, tracker, DOMAIN))


def test_an_unreachable_action_server_gives_the_apology():
    events = _run(f"http://127.0.0.1:{free_port()}/webhook")
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert events[0].text == action_fallback.apology(__import__("datetime").date.today())
    assert "sự cố" in events[0].text and events[0].metadata == {action_fallback.MARK: True}


def test_a_refusal_by_the_action_is_left_to_rasa(monkeypatch):
    action_fallback.install()

    async def refuse(*_args, **_kwargs):
        raise ActionExecutionRejection("action_respond")

    monkeypatch.setattr(EndpointConfig, "request", refuse)
    with pytest.raises(ActionExecutionRejection):
        _run("http://127.0.0.1:9/webhook")


def test_installed_once_and_pinned():
    import bot.components  # noqa: F401 - the pipeline installs it

    assert action_fallback.installed()
    wrapped = RemoteAction.run
    action_fallback.install()
    assert RemoteAction.run is wrapped
    with pytest.raises(RuntimeError, match="3.6.21"):
        action_fallback.install("3.7.0")
