"""Rasa's SQL tracker store without the re-reads: what a message costs the store is one read and one write.

Rasa 3.6's ``SQLTrackerStore`` does, for every message it saves, beyond the one read that loads the conversation:

- ``stream_events`` (whenever an event broker is set, as ours always is): reads the whole session again
  and rebuilds a tracker from it, only to learn how many of the tracker's events are new;
- ``_additional_events``: counts the session's rows, for the same number;
- one INSERT per new event (five to eight a message).

The conversation is held under the lock store's lock from the read to the write (Rasa's processor, its HTTP
API and our relay all take it), so the number of the tracker's events already stored is known at the read:
it is kept on the tracker (``STORED``) and used by both. A new conversation (the read found nothing, and
Rasa saves the one-event tracker it then creates) starts from none stored. A tracker that was not read
through this store (a full history, one with ``max_event_history``), or whose events are fewer than the
number kept, falls back to Rasa's own way. What is stored and what is published are unchanged: the
tests compare both with Rasa's store event by event (tests/test_tracker_store.py).

On PostgreSQL the engine checks a pooled connection before it uses it (``pool_pre_ping``), so a restarted
database server costs no message once it is back. The embedded default's SQL event broker gets one INSERT
and one commit per message instead of one commit per event. On SQLite (the embedded default) the file (and
the broker's) is put in write-ahead-log mode, with pooled connections: a commit writes the log once
instead of the journal and the database, and readers do not wait for the writer. Synchronous stays
FULL, so a commit that returned is on disk.

Personal data (Law 91/2025/QH15): what it publishes to the event broker carries the sender's pseudonym
(``cases.repository.sender_hash``), not the sender id, and the phone, ID-card and social-insurance numbers in
it are masked (``cases.repository.mask``): the dashboard counts people, it never needs who they are. A turn
that ends with the erasure marker (a ``Restarted`` event whose metadata has ``ERASE``: the action returns it
when the person has confirmed "xóa dữ liệu của tôi") deletes every stored event of the conversation, in the
same transaction that writes the turn, and what the embedded SQL event broker holds for the pseudonym; only
the marker and what follows it are stored and published (the production events consumer deletes its rows
for the pseudonym when the marker reaches it, outreach/events_consumer.py).

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on a database error reads an empty
conversation and saves into process memory instead: the message is answered as if it were the first and
then lost, silently. For this store the wrapper is given the error callback Rasa's constructor offers,
one that raises (:func:`fail_loudly`): the error reaches the message's handler, which tells the user it was
not stored (channels/admission.py), and nothing is kept elsewhere.

Used through Rasa's documented extension point for custom tracker stores: ``type:
channels.tracker_store.AnSinhTrackerStore`` in endpoints.yml, with SQLTrackerStore's own settings.
"""
from __future__ import annotations

import collections
import itertools
import json
import logging
import time
from typing import Any, Iterator, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401 - sa.orm
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, Restarted
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.core.trackers import DialogueStateTracker

from cases.repository import ERASE, masked, sender_hash

logger = logging.getLogger(__name__)

# It overrides SQLTrackerStore's private ``_additional_events`` and rewrites ``save``: checked against this
# Rasa's code (rasa/core/tracker_store.py), refused on any other until it is checked again.
PINNED_RASA = "3.6.21"


def check_version(version: str) -> None:
    if version != PINNED_RASA:
        raise RuntimeError(
            f"channels.tracker_store.AnSinhTrackerStore rewrites Rasa {PINNED_RASA}'s SQLTrackerStore.save and "
            f"_additional_events; this is Rasa {version}: compare them with that version's, then update the store "
            f"(or use Rasa's `type: SQL` in the endpoints file meanwhile)")

# Attribute on a tracker read (or saved) by this store: how many of its events are in the database.
STORED = "_ansinh_events_stored"
# A new conversation's first save (see AnSinhTrackerStore._new_and_empty): the finding that nothing is stored
# for the sender serves for this many seconds, and at most this many are kept.
EMPTY_FOR = 5.0
EMPTY_MARKS = 10_000


def stored_count(tracker: DialogueStateTracker) -> Optional[int]:
    """The number of ``tracker``'s events known to be stored, or None when it cannot be trusted."""
    count = getattr(tracker, STORED, None)
    if count is None or getattr(tracker, "_max_event_history", None) or count > len(tracker.events):
        return None
    return count


def erases(event: Event) -> bool:
    """Whether ``event`` is the erasure marker (module docstring)."""
    return isinstance(event, Restarted) and bool((event.metadata or {}).get(ERASE))


def after_erasure(events: List[Event]) -> Optional[List[Event]]:
    """The events from the last erasure marker on, or None when there is none."""
    marks = [i for i, event in enumerate(events) if erases(event)]
    return events[marks[-1]:] if marks else None


def unsaved(tracker: DialogueStateTracker) -> Optional[List[Event]]:
    """The events of ``tracker`` not yet stored, or None when the stored count is not known."""
    count = stored_count(tracker)
    return None if count is None else list(itertools.islice(tracker.events, count, len(tracker.events)))


class AnSinhTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that reads a conversation once per message (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import rasa

        check_version(rasa.__version__)
        fail_loudly()
        super().__init__(*args, **kwargs)
        # sender id -> when retrieve found nothing stored for it (see _new_and_empty)
        self._found_empty: "collections.OrderedDict[str, float]" = collections.OrderedDict()
        if self.engine.dialect.name == "sqlite":
            self.engine = pooled_sqlite(self.engine)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            broker = self.event_broker
            if isinstance(broker, SQLEventBroker) and broker.engine.dialect.name == "sqlite":
                broker.engine = pooled_sqlite(broker.engine)
                broker.sessionmaker = sa.orm.sessionmaker(bind=broker.engine)
        else:
            # A database server restarted: every pooled connection is dead. Rasa's engine would hand them out
            # and fail one message per connection; with pre-ping a dead one is replaced before use.
            from rasa.core.tracker_store import create_engine_kwargs

            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
            self._found_empty.pop(sender_id, None)
        else:
            self._found_empty[sender_id] = time.monotonic()
            self._found_empty.move_to_end(sender_id)
            while len(self._found_empty) > EMPTY_MARKS:
                self._found_empty.popitem(last=False)
        return tracker

    def _new_and_empty(self, tracker: DialogueStateTracker) -> bool:
        """Whether ``tracker`` is the one Rasa creates right after this store found nothing for its sender
        (``get_or_create_tracker``: ``retrieve`` gave None, then ``create_tracker`` makes a tracker of one
        ``action_listen`` and saves it): then none of its events is stored, and saving it needs neither Rasa's
        count of the stored rows nor its second read. Each finding serves one save, for ``EMPTY_FOR`` s.
        A mark kept from the read, not an override of ``get_or_create_tracker``: Rasa wraps this store in
        ``FailSafeTrackerStore``, whose own ``get_or_create_tracker`` and ``create_tracker`` run outside it, so
        this store sees only the read and the save."""
        found = self._found_empty.pop(tracker.sender_id, None)
        if found is None or time.monotonic() - found > EMPTY_FOR or getattr(tracker, "_max_event_history", None):
            return False
        events = list(tracker.events)
        return len(events) <= 1 and all(
            isinstance(e, ActionExecuted) and e.action_name == ACTION_LISTEN_NAME for e in events)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is None:
            return None
        new_events = unsaved(tracker)
        if new_events is None:
            return await super().stream_events(tracker)
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    async def _stream_new_events(self, event_broker: EventBroker, new_events: List[Event], sender_id: Text) -> None:
        """Rasa's publishing (one message per event), with the pseudonym and masked numbers; an erasure first
        removes what the embedded SQL broker holds for the person, then publishes from the marker on."""
        pseudonym = sender_hash(sender_id)
        kept = after_erasure(list(new_events))
        bodies = [{**masked(event.as_dict()), "sender_id": pseudonym} for event in (new_events if kept is None else kept)]
        if isinstance(event_broker, SQLEventBroker):
            # Rasa's SQL broker commits once per event (six to eight a message): the same rows, one commit.
            table = event_broker.SQLBrokerEvent
            with event_broker.session_scope() as session:
                if kept is not None:
                    session.query(table).filter(table.sender_id == pseudonym).delete(synchronize_session=False)
                if bodies:
                    session.execute(table.__table__.insert(),
                                    [{"sender_id": pseudonym, "data": json.dumps(body)} for body in bodies])
                session.commit()
            return
        for body in bodies:
            event_broker.publish(body)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        new_events = unsaved(tracker)
        return iter(new_events) if new_events is not None else super()._additional_events(session, tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``, the new events written in one statement (executemany keeps their order, so their
        ids ascend as Rasa's reads expect) instead of one INSERT each; a turn that erases deletes the stored
        conversation first, in the same transaction."""
        if stored_count(tracker) is None and self._new_and_empty(tracker):
            setattr(tracker, STORED, 0)
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            kept = after_erasure(new_events)
            if kept is not None:
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete(
                    synchronize_session=False)
                new_events = kept
                logger.info("conversation erased on request (%d events kept: the marker and after)", len(kept))
            rows = [event_row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED, len(tracker.events))
        logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)


def pooled_sqlite(engine: Any) -> Any:
    """A new engine for ``engine``'s SQLite file: connections kept in a pool (SQLAlchemy 1.4 opens and closes
    one per session for a file, and the pragmas with it), the file in write-ahead-log mode, synchronous
    FULL. Rasa uses it from its event loop's thread and the executor's, hence ``check_same_thread`` off; a
    connection is only ever used by one session at a time (the pool's rule)."""
    url = engine.url
    engine.dispose()
    pooled = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=5, max_overflow=10,
                              connect_args={"check_same_thread": False})

    @sa.event.listens_for(pooled, "connect")
    def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return pooled


def raise_store_error(error: Exception) -> None:
    """FailSafeTrackerStore's ``on_tracker_store_error``: no silent fallback (module docstring)."""
    raise error


def fail_loudly() -> None:
    """Give every FailSafeTrackerStore around this store the raising callback. Idempotent."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    current = FailSafeTrackerStore.__init__
    if getattr(current, "ansinh_fail_loudly", False):
        return

    def __init__(self: FailSafeTrackerStore, tracker_store: Any, on_tracker_store_error: Any = None,
                 fallback_tracker_store: Any = None) -> None:
        if on_tracker_store_error is None and isinstance(tracker_store, AnSinhTrackerStore):
            on_tracker_store_error = raise_store_error
        current(self, tracker_store, on_tracker_store_error, fallback_tracker_store)

    __init__.ansinh_fail_loudly = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.__init__ = __init__  # type: ignore[method-assign]


def event_row(sender_id: Text, event: Event) -> dict:
    """The ``events`` row of one event, as Rasa's ``SQLTrackerStore.save`` writes it."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}
