"""channels.tracker_store.AnSinhTrackerStore against Rasa's own SQLTrackerStore, on SQLite and the machine's
PostgreSQL (a throw-away database each): the same conversations give the same rows and the same published
events, in fewer statements; trackers it did not read fall back to Rasa's way; other Rasa versions refused.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, Restarted, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from cases.repository import ERASE, masked, sender_hash
from channels import tracker_store as ts
from tests.databases import throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = Domain.load(str(ROOT / "domain"))


class ListBroker(EventBroker):
    """An event broker that keeps what it was given."""

    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)

    def is_ready(self) -> bool:
        return True


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Two empty databases of one kind (one per store), as SQLTrackerStore settings."""
    if request.param == "sqlite":
        yield [dict(dialect="sqlite", db=str(tmp_path / f"{name}.db")) for name in ("rasa", "ours")]
        return
    with throwaway_postgres() as first, throwaway_postgres() as second:
        yield [_pg_settings(first), _pg_settings(second)]


def _pg_settings(url: str) -> Dict[str, Any]:
    parsed = sa.engine.make_url(url)
    return dict(dialect="postgresql", host=parsed.host, port=parsed.port, db=parsed.database,
                username=parsed.username)


def turn(tracker: DialogueStateTracker, text: str, n: int) -> None:
    """What one message adds to a conversation."""
    parse = {"intent": {"name": "greet", "confidence": 0.9}, "entities": [], "text": text}
    for event in (UserUttered(text, parse["intent"], parse_data=parse, timestamp=1000.0 + n),
                  ActionExecuted("action_respond", timestamp=1000.1 + n),
                  SlotSet("conversation_state", {"topic": "greet", "turn": n}, timestamp=1000.2 + n),
                  BotUttered(f"Chào anh/chị ({n})", {"buttons": [{"title": "Xem thêm", "payload": "/more_detail"}]},
                             timestamp=1000.3 + n),
                  ActionExecuted("action_listen", timestamp=1000.4 + n)):
        tracker.update(event)


async def conversation(store: TrackerStore, sender: str) -> None:
    """A new conversation, six messages, a restart, a new session, two more: each message read and saved."""
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in (ActionExecuted("action_session_start", timestamp=999.0), SessionStarted(timestamp=999.1),
                  ActionExecuted("action_listen", timestamp=999.2)):
        tracker.update(event)
    await store.save(tracker)  # a new tracker: not read through the store
    for n in range(6):
        tracker = await store.retrieve(sender)
        turn(tracker, f"tin nhắn {n} của {sender}", n)
        await store.save(tracker)
    tracker = await store.retrieve(sender)
    tracker.update(Restarted(timestamp=1100.0))
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    for event in (ActionExecuted("action_session_start", timestamp=1200.0), SessionStarted(timestamp=1200.1),
                  ActionExecuted("action_listen", timestamp=1200.2)):
        tracker.update(event)
    await store.save(tracker)
    for n in range(6, 8):
        tracker = await store.retrieve(sender)
        turn(tracker, f"tin nhắn {n} của {sender}", n)
        await store.save(tracker)


def rows(store: SQLTrackerStore) -> List[tuple]:
    with store.engine.connect() as conn:
        found = conn.execute(sa.text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id")).all()
    return [(s, t, ts_, i, a, json.loads(d)) for s, t, ts_, i, a, d in found]


def counting(store: SQLTrackerStore) -> List[int]:
    statements = [0]

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "events" in statement:  # not PostgreSQL's schema check, the same for both stores
            statements[0] += 1

    return statements


def test_same_rows_and_events_as_rasas_store_in_fewer_statements(database):
    theirs, ours = ListBroker(), ListBroker()
    rasa_store = SQLTrackerStore(domain=DOMAIN, event_broker=theirs, **database[0])
    our_store = ts.AnSinhTrackerStore(domain=DOMAIN, event_broker=ours, **database[1])
    rasa_statements, our_statements = counting(rasa_store), counting(our_store)

    async def run(store: TrackerStore) -> None:
        for sender in ("an", "binh"):
            await conversation(store, sender)

    asyncio.run(run(rasa_store))
    asyncio.run(run(our_store))
    ours_n, theirs_n = our_statements[0], rasa_statements[0]

    assert rows(our_store) == rows(rasa_store)
    assert len(rows(our_store)) == 2 * (3 + 6 * 5 + 1 + 3 + 2 * 5)
    # The same events published, with the sender's pseudonym instead of the sender id (and numbers masked).
    assert ours.published == [{**masked(e), "sender_id": sender_hash(e["sender_id"])} for e in theirs.published]
    assert len(ours.published) == len(rows(our_store)) and not {"an", "binh"} & {e["sender_id"] for e in ours.published}
    # Rasa's store: a read, a second read for the broker, a count and the INSERTs (one per event on SQLite, one
    # batch on PostgreSQL), each message. Ours: the read and one INSERT; Rasa's way for a new tracker's first save.
    retrieves, saves = 2 * 10, 2 * 11
    assert ours_n <= retrieves + saves + 2 * 2
    assert theirs_n >= 1.8 * ours_n

    async def latest(store: TrackerStore) -> List[str]:
        tracker = await store.retrieve("an")
        return [e.type_name for e in tracker.events]

    assert asyncio.run(latest(our_store)) == asyncio.run(latest(rasa_store))
    assert asyncio.run(latest(our_store))[:2] == ["session_started", "action"]


async def untracked_saves(store: TrackerStore) -> List[str]:
    """A conversation, then two saves of trackers the store did not read this way: a full history (every
    session) and a copy rebuilt from the events (the HTTP API's "replace events"); the stored event types."""
    await conversation(store, "chi")
    full = await store.retrieve_full_tracker("chi")
    assert ts.stored_count(full) is None
    full.update(BotUttered("Một tin nữa", timestamp=1300.0))
    await store.save(full)
    rebuilt = DialogueStateTracker.from_dict("chi", [e.as_dict() for e in (await store.retrieve("chi")).events],
                                             DOMAIN.slots)
    rebuilt.update(BotUttered("Và một tin nữa", timestamp=1301.0))
    await store.save(rebuilt)
    return [r[1] for r in rows(store)]


def test_a_turn_with_the_erasure_marker_deletes_the_stored_conversation(database):
    """The action returns Restarted marked ERASE after "xóa dữ liệu của tôi" is confirmed: the stored
    conversation goes in the save of that turn; the marker and what follows stay; the other conversation and
    the broker's copy of it are untouched; a plain restart erases nothing."""
    broker = ListBroker()
    store = ts.AnSinhTrackerStore(domain=DOMAIN, event_broker=broker, **database[1])

    async def run() -> None:
        for sender in ("an", "binh"):
            await conversation(store, sender)
        tracker = await store.retrieve("an")
        turn(tracker, "có, xóa giúp tôi, sđt 0912345678", 20)
        tracker.update(Restarted(timestamp=1300.0, metadata={ERASE: True}))
        tracker.update(ActionExecuted("action_listen", timestamp=1300.1))
        await store.save(tracker)
        tracker = await store.retrieve("an")
        turn(tracker, "bhxh tự nguyện là gì", 21)
        await store.save(tracker)

    before = [r for r in rows(store) if r[0] == "binh"]
    asyncio.run(run())
    kept = [r for r in rows(store) if r[0] == "an"]
    assert [r[1] for r in kept] == ["restart", "action", "user", "action", "slot", "bot", "action"]
    assert not any("0912345678" in json.dumps(r[5]) or "tin nhắn" in json.dumps(r[5]) for r in kept)
    assert len([r for r in rows(store) if r[0] == "binh"]) == 3 + 6 * 5 + 1 + 3 + 2 * 5 and not before
    published = [e for e in broker.published if e["sender_id"] == sender_hash("an")]
    assert published[-7]["event"] == "restart" and published[-7]["metadata"] == {ERASE: True}
    assert not any("0912345678" in json.dumps(e) for e in broker.published)
    # Rasa's own restart (the /restart command) keeps the history, as in Rasa.
    assert any(r[1] == "restart" for r in rows(store) if r[0] == "binh")


def test_a_tracker_it_did_not_read_is_saved_the_way_rasa_does(database):
    # A full tracker holds events of the earlier session, which Rasa's count (this session's rows) does not
    # match: what the fallback stores is what Rasa's own store stores.
    ours = asyncio.run(untracked_saves(ts.AnSinhTrackerStore(domain=DOMAIN, **database[1])))
    theirs = asyncio.run(untracked_saves(SQLTrackerStore(domain=DOMAIN, **database[0])))
    assert ours == theirs
    assert ours[-1] == "bot"


async def new_conversation(store: TrackerStore, sender: str) -> None:
    """A message of a new conversation, the way Rasa's processor goes: ``get_or_create_tracker`` (a read that
    finds nothing, a tracker of one action_listen, saved), the turn, the save."""
    tracker = await store.get_or_create_tracker(sender)
    turn(tracker, f"tin nhắn đầu của {sender}", 0)
    await store.save(tracker)


def test_a_new_conversation_is_saved_without_a_count_or_a_second_read(database, monkeypatch):
    from rasa.core.tracker_store import FailSafeTrackerStore

    rasa_inner = SQLTrackerStore(domain=DOMAIN, event_broker=ListBroker(), **database[0])
    our_inner = ts.AnSinhTrackerStore(domain=DOMAIN, event_broker=ListBroker(), **database[1])
    rasa_store, our_store = FailSafeTrackerStore(rasa_inner), FailSafeTrackerStore(our_inner)  # as Rasa wraps them
    statements = counting(our_inner)
    asyncio.run(new_conversation(rasa_store, "giang"))
    asyncio.run(new_conversation(our_store, "giang"))
    made = statements[0]
    untimed = lambda found: [(r[0], r[1], r[3], r[4], {k: v for k, v in r[5].items() if k != "timestamp"})  # noqa: E731
                             for r in found]  # the first action_listen is stamped when it is made
    assert untimed(rows(our_inner)) == untimed(rows(rasa_inner))
    assert [r[1] for r in rows(our_inner)] == ["action", "user", "action", "slot", "bot", "action"]
    # the read, then one INSERT per save (Rasa's way adds a second read and a count to the first save)
    assert made == 3
    assert [{k: v for k, v in e.items() if k != "timestamp"} for e in our_inner.event_broker.published] == [
        {**{k: v for k, v in masked(e).items() if k != "timestamp"}, "sender_id": sender_hash("giang")}
        for e in rasa_inner.event_broker.published]

    # The finding serves only the tracker Rasa creates right after it, and only for a while: a tracker of more
    # events, or one saved later, is saved Rasa's way (here: nothing stored twice).
    async def stale(sender: str) -> None:
        assert await our_store.retrieve(sender) is None
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        turn(tracker, "một", 1)
        await our_inner.save(tracker)  # not fresh: Rasa's way
        assert await our_store.retrieve(sender) is not None

    statements[0] = 0
    asyncio.run(stale("hanh"))
    assert statements[0] > 3  # the fallback's count and second read were made
    monkeypatch.setattr(ts, "EMPTY_FOR", 0.0)
    statements[0] = 0
    asyncio.run(new_conversation(our_store, "khanh"))
    assert statements[0] > 3
    assert [r[1] for r in rows(our_inner) if r[0] == "khanh"] == ["action", "user", "action", "slot", "bot", "action"]


def test_a_tracker_with_fewer_events_than_counted_is_not_trusted():
    tracker = DialogueStateTracker("dung", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    setattr(tracker, ts.STORED, 5)
    assert ts.stored_count(tracker) is None
    setattr(tracker, ts.STORED, 1)
    assert ts.stored_count(tracker) == 1


def test_sqlite_file_is_in_write_ahead_log_mode_and_synchronous(tmp_path):
    store = ts.AnSinhTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_endpoints_use_it_through_rasas_custom_store_type(tmp_path):
    from rasa.core.tracker_store import create_tracker_store
    import yaml

    for name in ("endpoints.yml", "endpoints.production.yml"):
        config = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))["tracker_store"]
        assert config["type"] == "channels.tracker_store.AnSinhTrackerStore", name
    settings = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["tracker_store"]
    settings["db"] = str(tmp_path / "rasa.db")
    store = create_tracker_store(EndpointConfig(**settings), DOMAIN)
    inner = getattr(store, "_tracker_store", store)
    assert isinstance(inner, ts.AnSinhTrackerStore)


def test_another_rasa_version_is_refused():
    ts.check_version(ts.PINNED_RASA)
    with pytest.raises(RuntimeError, match="3.7.0"):
        ts.check_version("3.7.0")


def test_rasas_fail_safe_wrapper_does_not_hide_a_database_error(tmp_path, monkeypatch):
    """Rasa's FailSafeTrackerStore would read an empty conversation and save into memory on a database
    error; around this store it raises instead (the handler tells the user, channels/admission.py)."""
    from rasa.core.tracker_store import FailSafeTrackerStore
    from sqlalchemy.exc import OperationalError

    store = ts.AnSinhTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    safe = FailSafeTrackerStore(store)

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("the database system is shutting down"))

    monkeypatch.setattr(store, "session_scope", down)
    with pytest.raises(OperationalError):
        asyncio.run(safe.retrieve("an"))
    with pytest.raises(OperationalError):
        asyncio.run(safe.save(DialogueStateTracker("an", DOMAIN.slots)))
    assert safe._fallback_tracker_store is None  # nothing went to memory
    # Another store keeps Rasa's behaviour.
    from rasa.core.tracker_store import InMemoryTrackerStore

    assert FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN))._on_tracker_store_error is None


def test_the_sql_event_broker_gets_the_same_rows_in_one_commit_a_message(tmp_path):
    """The embedded default's broker (Rasa's SQLEventBroker): the rows Rasa's store would publish (with the
    pseudonym), written in one statement and one commit per message instead of one commit per event."""
    from rasa.core.brokers.sql import SQLEventBroker

    theirs, ours = SQLEventBroker(db=str(tmp_path / "theirs.db")), SQLEventBroker(db=str(tmp_path / "ours.db"))
    rasa_store = SQLTrackerStore(domain=DOMAIN, event_broker=theirs, db=str(tmp_path / "rasa.db"))
    our_store = ts.AnSinhTrackerStore(domain=DOMAIN, event_broker=ours, db=str(tmp_path / "ours-store.db"))
    commits = {"theirs": 0, "ours": 0}
    for name, broker in (("theirs", theirs), ("ours", ours)):
        sa.event.listen(broker.engine, "commit", lambda *_a, n=name: commits.__setitem__(n, commits[n] + 1))
    asyncio.run(conversation(rasa_store, "an"))
    asyncio.run(conversation(our_store, "an"))

    def published(broker: SQLEventBroker) -> List[tuple]:
        with broker.engine.connect() as conn:
            return [(s, json.loads(d)) for s, d in conn.execute(sa.text("SELECT sender_id, data FROM events ORDER BY id"))]

    expected = [(sender_hash(s), {**masked(e), "sender_id": sender_hash(s)}) for s, e in published(theirs)]
    assert published(ours) == expected and len(expected) == 3 + 6 * 5 + 1 + 3 + 2 * 5
    assert commits["ours"] <= 11 < commits["theirs"]  # one a save (11 saves) against one an event (47)
    with ours.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
