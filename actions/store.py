"""Case and referral records for the action server: SQLite by default, PostgreSQL in production.

``ANSINH_DB_URL`` selects the database (default ``sqlite:///ansinh.db`` in the working directory). The
tables are defined in ``cases/schema.py`` and created by its Alembic migrations, applied here once per URL
(``cases.db.upgrade``; ``make run`` applies them before the servers start).

Referrals are stored as anonymous counts by day, topic, province and channel. A handoff case keeps the
sender id (staff reply in the user's own channel) and its hash (which is what finds the person's open case
and what stays in the consent records after an erasure).
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from cases import db as cases_db
from cases import repository
from cases.schema import OPEN_STATUSES, cases, metadata, referral_counts  # noqa: F401 - re-exported

_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    return cases_db.database_url()


def engine(url: Optional[str] = None) -> Engine:
    """The engine for `url` (default ANSINH_DB_URL), its database migrated to the newest revision."""
    url = url or database_url()
    with _lock:
        if url not in _engines:
            cases_db.upgrade(url)
            _engines[url] = cases_db.make_engine(url)
        return _engines[url]


def record_referral(problem: str, province: str, channel: str = "unknown", day: Optional[dt.date] = None, url: Optional[str] = None) -> None:
    """Add one to the anonymous counter for (day, problem, province, channel)."""
    day = day or dt.date.today()
    eng = engine(url)
    key = dict(day=day, problem=problem, province=province, channel=channel or "unknown")
    with eng.begin() as conn:
        updated = conn.execute(
            referral_counts.update()
            .where(*(referral_counts.c[k] == v for k, v in key.items()))
            .values(count=referral_counts.c.count + 1)
        ).rowcount
        if not updated:
            conn.execute(referral_counts.insert().values(count=1, **key))


def referral_totals(url: Optional[str] = None) -> List[Tuple[str, str, int]]:
    eng = engine(url)
    with eng.connect() as conn:
        rows = conn.execute(
            select(referral_counts.c.problem, referral_counts.c.province, func.sum(referral_counts.c.count))
            .group_by(referral_counts.c.problem, referral_counts.c.province)
            .order_by(referral_counts.c.problem, referral_counts.c.province)
        ).all()
    return [(p, prov, int(n)) for p, prov, n in rows]


def sender_hash(sender_id: str) -> str:
    return repository.sender_hash(sender_id)


def open_or_extend(sender_id: str, channel: str, topic: Optional[str], province: Optional[str], summary: str,
                   url: Optional[str] = None, *, contact: Optional[str] = None, description: Optional[str] = None,
                   facts: Optional[dict] = None, new_matter: bool = False) -> repository.Opened:
    """Open a case waiting for staff, or add to the person's open case (one open case per person, unless
    ``new_matter``): ``(case_id, created)``, ``created`` False when an open case was extended."""
    return repository.open_or_extend_case(
        engine(url), sender_id, channel, topic=topic, province=province, summary=summary[:2000],
        contact=contact, description=description, facts=facts, new_matter=new_matter,
    )


def latest_case(sender_id: str, url: Optional[str] = None) -> Optional[dict]:
    """The person's open case, else their latest one (with ``rating_pending``), else None."""
    return repository.latest_case(engine(url), sender_id)


def add_user_message(case_id: int, text: str, url: Optional[str] = None) -> int:
    """A message the user wrote while staff have the conversation (or the description of the request)."""
    return repository.add_message(engine(url), case_id, "user", text[:4000])


CONSENT_PURPOSE = "share_with_union_staff"


def record_consent(sender_id: str, channel: str, wording: str, *, granted: bool, url: Optional[str] = None) -> int:
    return repository.record_consent(engine(url), sender_id, CONSENT_PURPOSE, channel, wording, granted=granted)


def withdraw(case_id: int, url: Optional[str] = None) -> dict:
    return repository.withdraw_case(engine(url), case_id)


def erase_sender(sender_id: str, url: Optional[str] = None) -> List[int]:
    return repository.erase_sender(engine(url), sender_id)


def rate(case_id: int, score: int, url: Optional[str] = None) -> None:
    repository.rate(engine(url), case_id, score)


def open_case(sender_id: str, channel: str, topic: Optional[str], province: Optional[str], summary: str, url: Optional[str] = None) -> int:
    """Open a case waiting for staff, or add to the person's open case (one open case per person); its id."""
    return open_or_extend(sender_id, channel, topic, province, summary, url=url).case_id


def open_cases(url: Optional[str] = None) -> List[dict]:
    """The cases not resolved yet, oldest first."""
    eng = engine(url)
    with eng.connect() as conn:
        rows = conn.execute(select(cases).where(cases.c.status.in_(OPEN_STATUSES)).order_by(cases.c.id)).mappings().all()
    return [dict(r) for r in rows]
