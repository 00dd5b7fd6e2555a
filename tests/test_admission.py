"""channels/admission.py: at the limit a message is refused at once with the busy reply, through its own
channel; below it, handled as before. (Over REST with many at once: tests/test_server.py.)"""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels import admission


def test_at_the_limit_the_message_is_refused_with_the_busy_reply(monkeypatch):
    import bot.components  # noqa: F401 - the pipeline installs it

    monkeypatch.setattr(admission.COUNT, "limit", 2)
    monkeypatch.setattr(admission.COUNT, "in_flight", 2)
    out = CollectingOutputChannel()
    refused_before = admission.COUNT.refused
    assert asyncio.run(Agent().handle_message(UserMessage("bhxh tự nguyện", out, "u1"))) is None
    assert [m["text"] for m in out.messages] == [admission.busy(dt.date.today())]
    assert "gửi lại" in out.messages[0]["text"] and admission.COUNT.refused == refused_before + 1
    assert admission.COUNT.in_flight == 2


def test_below_the_limit_the_message_is_handled_and_counted_out(monkeypatch):
    import bot.components  # noqa: F401

    monkeypatch.setattr(admission.COUNT, "limit", 2)
    monkeypatch.setattr(admission.COUNT, "in_flight", 1)
    out = CollectingOutputChannel()
    asyncio.run(Agent().handle_message(UserMessage("bhxh tự nguyện", out, "u1")))  # no model: Rasa ignores it
    assert out.messages == [] and admission.COUNT.in_flight == 1


def test_the_limit_comes_from_the_environment_and_is_pinned():
    assert admission.max_in_flight({}) == admission.DEFAULT_MAX_IN_FLIGHT
    assert admission.max_in_flight({"ANSINH_MAX_IN_FLIGHT": "8"}) == 8
    with pytest.raises(ValueError):
        admission.max_in_flight({"ANSINH_MAX_IN_FLIGHT": "0"})
    with pytest.raises(RuntimeError, match="3.6.21"):
        admission.install("3.7.0")


def test_a_message_that_fails_on_the_way_is_answered_with_not_saved(monkeypatch):
    """E.g. the tracker store's database down (tests/test_fault_postgres.py restarts a real one)."""
    import bot.components  # noqa: F401
    from rasa.core.lock_store import InMemoryLockStore

    class Failing:
        async def handle_message(self, message):
            raise ConnectionError("the database system is shutting down")

    agent = Agent(lock_store=InMemoryLockStore())
    agent.processor = Failing()
    monkeypatch.setattr(Agent, "is_ready", lambda self: True)
    out = CollectingOutputChannel()
    assert asyncio.run(agent.handle_message(UserMessage("bhxh tự nguyện", out, "u1"))) is None
    assert [m["text"] for m in out.messages] == [admission.not_saved(dt.date.today())]
    assert "chưa được lưu" in out.messages[0]["text"]
