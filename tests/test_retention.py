"""Retention periods (cases/retention.py) on both databases: what is older than its period goes, what is
not stays, a dry run changes nothing, and every run is audited with counts only."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select, update

from cases import db, repository as repo, retention
from cases.schema import cases
from tests.databases import throwaway_postgres

NOW = dt.datetime(2026, 12, 3, 8, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path}/{name}.db" for name in ("cases", "rasa", "events")]
        yield from _stores(*urls)
        return
    with throwaway_postgres() as url:
        yield from _stores(url, f"sqlite:///{tmp_path}/rasa.db", f"sqlite:///{tmp_path}/events.db")


def _stores(case_url, tracker_url, events_url):
    db.upgrade(case_url)
    engines = db.make_engine(case_url), create_engine(tracker_url, future=True), create_engine(events_url, future=True)
    meta = MetaData()
    # Rasa's tracker-store layout (rasa/core/tracker_store.py SQLTrackerStore.SQLEvent) and its event broker's.
    Table("events", meta, Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
          Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
          Column("action_name", String(255)), Column("data", Text))
    meta.create_all(engines[1])
    broker = MetaData()
    Table("events", broker, Column("id", Integer, primary_key=True), Column("sender_id", String(255)), Column("data", Text))
    broker.create_all(engines[2])
    yield engines
    for eng in engines:
        eng.dispose()


def _stamp(days_ago: float) -> float:
    return (NOW - dt.timedelta(days=days_ago)).replace(tzinfo=dt.timezone.utc).timestamp()


def _fill(case_eng, tracker_eng, events_eng):
    with tracker_eng.begin() as conn:
        for sender, ages in (("old", (400, 200)), ("recent", (400, 10)), ("new", (1,))):
            for age in ages:
                conn.execute(Table("events", MetaData(), autoload_with=tracker_eng).insert().values(
                    sender_id=sender, type_name="user", timestamp=_stamp(age), data=json.dumps({"text": "sđt 0912345678"})))
    with events_eng.begin() as conn:
        table = Table("events", MetaData(), autoload_with=events_eng)
        for age in (800, 100):
            conn.execute(table.insert().values(sender_id="h", data=json.dumps({"event": "user", "timestamp": _stamp(age)})))
        conn.execute(table.insert().values(sender_id="h", data="not json"))
    ids = {}
    for name, resolved_days_ago in (("long_resolved", 400), ("just_resolved", 30), ("open", None)):
        case = repo.open_or_extend_case(case_eng, f"tg-{name}", "telegram", topic="wage_arrears", contact="0912345678",
                                        description="công ty nợ lương", summary="gọi 0912345678", facts={"months": 2})
        ids[name] = case.case_id
        if resolved_days_ago is not None:
            repo.set_status(case_eng, case.case_id, "resolved", actor="user", reason="withdrawn")
            with case_eng.begin() as conn:
                conn.execute(update(cases).where(cases.c.id == case.case_id).values(
                    resolved_at=NOW - dt.timedelta(days=resolved_days_ago)))
    return ids


def test_retention_removes_what_is_older_than_its_period_and_keeps_the_rest(stores):
    case_eng, tracker_eng, events_eng = stores
    ids = _fill(case_eng, tracker_eng, events_eng)
    periods = retention.Periods(conversation_days=180, case_days=365, events_days=730)

    dry = retention.enforce(NOW, periods, case_eng, tracker_eng, events_eng, dry_run=True)
    assert dry == retention.Outcome(conversations=1, conversation_events=2, cases=1, dashboard_events=1)
    assert repo.get_case(case_eng, ids["long_resolved"])["contact"] == "0912345678"  # a dry run changes nothing

    done = retention.enforce(NOW, periods, case_eng, tracker_eng, events_eng)
    assert done == dry
    with tracker_eng.connect() as conn:
        senders = sorted({r[0] for r in conn.exec_driver_sql("select sender_id from events")})
    assert senders == ["new", "recent"]  # a conversation active 10 days ago keeps its old events too
    with events_eng.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from events").scalar() == 2  # the recent row and the unreadable one
    erased = repo.get_case(case_eng, ids["long_resolved"])
    assert erased["erased_at"] is not None and erased["contact"] is None and erased["sender_id"] is None
    assert "0912345678" not in (erased["summary"] or "")
    for kept in ("just_resolved", "open"):
        assert repo.get_case(case_eng, ids[kept])["contact"] == "0912345678"
    entries = repo.audit_entries(case_eng, action="retention_enforced")
    assert len(entries) == 1 and "0912345678" not in json.dumps(entries[0], default=str)
    assert [e["actor"] for e in repo.audit_entries(case_eng, action="case_erased")] == ["system"]
    # Again: nothing more to do.
    assert retention.enforce(NOW, periods, case_eng, tracker_eng, events_eng) == retention.Outcome()


def test_periods_come_from_the_environment_and_zero_turns_a_rule_off(stores):
    case_eng, tracker_eng, events_eng = stores
    assert retention.Periods.from_env({}) == retention.Periods(180, 365, 730)
    periods = retention.Periods.from_env({"ANSINH_RETAIN_CONVERSATION_DAYS": "0", "ANSINH_RETAIN_CASE_DAYS": "10",
                                          "ANSINH_RETAIN_EVENTS_DAYS": "0"})
    assert periods == retention.Periods(0, 10, 0)
    with pytest.raises(ValueError):
        retention.Periods.from_env({"ANSINH_RETAIN_CASE_DAYS": "-1"})
    _fill(case_eng, tracker_eng, events_eng)
    outcome = retention.enforce(NOW, periods, case_eng, tracker_eng, events_eng)
    assert outcome == retention.Outcome(cases=2)
