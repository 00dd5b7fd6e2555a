"""Case and referral records (SQLAlchemy 1.4): SQLite by default, PostgreSQL in production.

``ANSINH_DB_URL`` selects the database (default ``sqlite:///ansinh.db`` in the working directory).
Referrals are stored as anonymous counts by day, topic, province and channel; handoff cases keep a
hash of the sender id, never the id itself.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from typing import Dict, List, Optional, Tuple

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint, create_engine, func, select
from sqlalchemy.engine import Engine

metadata = MetaData()

referral_counts = Table(
    "referral_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("problem", String(32), nullable=False),
    Column("province", String(64), nullable=False),
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("count", Integer, nullable=False, default=0),
    UniqueConstraint("day", "problem", "province", "channel", name="uq_referral_bucket"),
)

cases = Table(
    "handoff_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("topic", String(64)),
    Column("province", String(64)),
    Column("summary", Text),
    Column("status", String(16), nullable=False, default="open"),
)

_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    return os.environ.get("ANSINH_DB_URL", "sqlite:///ansinh.db")


def engine(url: Optional[str] = None) -> Engine:
    url = url or database_url()
    with _lock:
        if url not in _engines:
            eng = create_engine(url, future=True, pool_pre_ping=True)
            metadata.create_all(eng)
            _engines[url] = eng
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
    salt = os.environ.get("ANSINH_HASH_SALT", "ansinh")
    return hashlib.sha256(f"{salt}:{sender_id}".encode()).hexdigest()


def open_case(sender_id: str, channel: str, topic: Optional[str], province: Optional[str], summary: str, url: Optional[str] = None) -> int:
    eng = engine(url)
    with eng.begin() as conn:
        result = conn.execute(
            cases.insert().values(
                created_at=dt.datetime.utcnow(),
                sender_hash=sender_hash(sender_id),
                channel=channel or "unknown",
                topic=topic,
                province=province,
                summary=summary[:2000],
                status="open",
            )
        )
        return int(result.inserted_primary_key[0])


def open_cases(url: Optional[str] = None) -> List[dict]:
    eng = engine(url)
    with eng.connect() as conn:
        rows = conn.execute(select(cases).where(cases.c.status == "open").order_by(cases.c.id)).mappings().all()
    return [dict(r) for r in rows]
