"""Retention periods, enforced (Law 91/2025/QH15: personal data kept no longer than its purpose needs).

Three periods, each configurable from the environment (days; 0 turns that rule off):

- ``ANSINH_RETAIN_CONVERSATION_DAYS`` (default 180): a conversation in the tracker store whose last event is
  older is deleted, all its events. The assistant answers from the latest messages; a person who comes back
  after half a year starts afresh.
- ``ANSINH_RETAIN_CASE_DAYS`` (default 365): a case resolved longer ago loses its personal fields, as when the
  person asks (``repository.erase_case``: sender id, contact, facts; numbers masked in the texts). The case
  stays, pseudonymous, for the programme's figures; consent records stay as proof.
- ``ANSINH_RETAIN_EVENTS_DAYS`` (default 730): rows of the dashboard's event database (already pseudonymous
  and masked, outreach/events_consumer.py) older than this are deleted: two years of figures.

These defaults are the project's choice, not periods set by law; a deployment sets its own. Each run writes
one audit entry with the counts (no personal data). Run by the outreach scheduler once a day
(outreach/scheduler.py) or by hand: ``python -m cases.retention [--dry-run]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from typing import Mapping, Optional

from sqlalchemy import MetaData, Table, and_, create_engine, func, inspect, select
from sqlalchemy.engine import Engine

from cases import log_masking
from cases import repository as repo
from cases.schema import cases

logger = logging.getLogger(__name__)
log_masking.install()


@dataclass(frozen=True)
class Periods:
    conversation_days: int = 180
    case_days: int = 365
    events_days: int = 730

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Periods":
        def days(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            value = int(raw)
            if value < 0:
                raise ValueError(f"{name} must be 0 (off) or a number of days, not {raw}")
            return value

        return cls(days("ANSINH_RETAIN_CONVERSATION_DAYS", cls.conversation_days),
                   days("ANSINH_RETAIN_CASE_DAYS", cls.case_days), days("ANSINH_RETAIN_EVENTS_DAYS", cls.events_days))


@dataclass(frozen=True)
class Outcome:
    conversations: int = 0  # conversations deleted from the tracker store
    conversation_events: int = 0
    cases: int = 0  # resolved cases whose personal fields were erased
    dashboard_events: int = 0


def _events_table(eng: Engine) -> Optional[Table]:
    """The ``events`` table of a tracker store or an event database (both Rasa's layout), if it exists."""
    if not inspect(eng).has_table("events"):
        return None
    return Table("events", MetaData(), autoload_with=eng)


def expire_conversations(tracker_eng: Engine, before: dt.datetime, dry_run: bool = False) -> tuple:
    """Delete every conversation whose last event is older than ``before`` (UTC); (conversations, events)."""
    events = _events_table(tracker_eng)
    if events is None:
        return 0, 0
    cutoff = before.replace(tzinfo=dt.timezone.utc).timestamp()
    with tracker_eng.begin() as conn:
        stale = [r[0] for r in conn.execute(
            select(events.c.sender_id).group_by(events.c.sender_id).having(func.max(events.c.timestamp) < cutoff))]
        removed = 0
        for i in range(0, len(stale), 500):
            chunk = stale[i:i + 500]
            if dry_run:
                removed += conn.execute(select(func.count()).select_from(events).where(events.c.sender_id.in_(chunk))).scalar()
            else:
                removed += conn.execute(events.delete().where(events.c.sender_id.in_(chunk))).rowcount
    return len(stale), removed


def expire_cases(case_eng: Engine, before: dt.datetime, dry_run: bool = False) -> int:
    """Erase the personal fields of cases resolved before ``before`` (naive UTC) and not erased yet."""
    with case_eng.begin() as conn:
        ids = [r[0] for r in conn.execute(select(cases.c.id).where(and_(
            cases.c.status == "resolved", cases.c.resolved_at < before, cases.c.erased_at.is_(None))))]
        if not dry_run:
            for case_id in ids:
                repo.erase_case(conn, case_id, actor="system")
    return len(ids)


def expire_dashboard_events(events_eng: Engine, before: dt.datetime, dry_run: bool = False) -> int:
    """Delete event-database rows whose event is older than ``before`` (UTC)."""
    events = _events_table(events_eng)
    if events is None:
        return 0
    cutoff = before.replace(tzinfo=dt.timezone.utc).timestamp()
    removed = 0
    with events_eng.begin() as conn:
        last = 0
        while True:  # the JSON is read in batches; the event's own timestamp decides
            rows = conn.execute(select(events.c.id, events.c.data).where(events.c.id > last)
                                .order_by(events.c.id).limit(1000)).all()
            if not rows:
                break
            last = rows[-1][0]
            old = []
            for row_id, data in rows:
                try:
                    stamp = float(json.loads(data).get("timestamp") or 0)
                except (ValueError, TypeError, AttributeError):
                    continue
                if stamp and stamp < cutoff:
                    old.append(row_id)
            if old and not dry_run:
                conn.execute(events.delete().where(events.c.id.in_(old)))
            removed += len(old)
    return removed


def enforce(now: dt.datetime, periods: Periods, case_eng: Engine, tracker_eng: Optional[Engine] = None,
            events_eng: Optional[Engine] = None, dry_run: bool = False) -> Outcome:
    """Apply every period as of ``now`` (naive UTC) to the stores given; audited (counts only)."""
    conversations = conversation_events = erased = dashboard = 0
    if periods.conversation_days and tracker_eng is not None:
        conversations, conversation_events = expire_conversations(
            tracker_eng, now - dt.timedelta(days=periods.conversation_days), dry_run)
    if periods.case_days:
        erased = expire_cases(case_eng, now - dt.timedelta(days=periods.case_days), dry_run)
    if periods.events_days and events_eng is not None:
        dashboard = expire_dashboard_events(events_eng, now - dt.timedelta(days=periods.events_days), dry_run)
    outcome = Outcome(conversations, conversation_events, erased, dashboard)
    if not dry_run:
        repo.audit(case_eng, "retention_enforced", actor="system", detail={**asdict(outcome), **asdict(periods)})
    logger.info("retention %s: %s", "checked (dry run)" if dry_run else "enforced", outcome)
    return outcome


def engines_from_env(env: Mapping[str, str] = os.environ) -> tuple:
    """The case database, the tracker store and the dashboard's event database, from the same settings the
    services use (ANSINH_DB_URL, ANSINH_TRACKER_URL, ANSINH_EVENTS_URL; the embedded default's files)."""
    from cases.db import make_engine

    case_eng = make_engine()
    tracker = create_engine(env.get("ANSINH_TRACKER_URL") or "sqlite:///rasa.db", future=True)
    events = create_engine(env.get("ANSINH_EVENTS_URL") or "sqlite:///events.db", future=True)
    return case_eng, tracker, events


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    outcome = enforce(dt.datetime.utcnow(), Periods.from_env(), *engines_from_env(), dry_run=args.dry_run)
    print(json.dumps(asdict(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
