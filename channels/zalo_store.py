"""Persistent state of the Zalo connector (SQLAlchemy 1.4; SQLite by default, PostgreSQL in production).

- seen message ids, so a Zalo retry after a restart is not answered twice;
- the OA token pair, replaced atomically after each refresh (the refresh token is single-use);
- each user's last interaction and messages sent since, for the 48-hour / 8-message reply window;
- messages that could not be sent, so staff can see them instead of losing them;
- the numbered choices last offered to a user (Zalo text has no buttons).
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

seen = Table(
    "zalo_seen_messages", metadata,
    Column("msg_id", String(128), primary_key=True),
    Column("seen_at", DateTime, nullable=False),
)
tokens = Table(
    "zalo_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", DateTime),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", DateTime, nullable=False),
)
interactions = Table(
    "zalo_interactions", metadata,
    Column("user_id", String(64), primary_key=True),
    Column("last_user_message_at", DateTime, nullable=False),
    Column("sent_since", Integer, nullable=False, default=0),
)
undelivered = Table(
    "zalo_undelivered", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
choices = Table(
    "zalo_choices", metadata,
    Column("user_id", String(64), primary_key=True),
    Column("payloads", Text, nullable=False),
)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    version: int


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class ZaloStore:
    _engines: Dict[str, Engine] = {}
    _lock = threading.Lock()

    def __init__(self, url: str) -> None:
        with self._lock:
            if url not in self._engines:
                eng = create_engine(url, future=True, pool_pre_ping=True)
                metadata.create_all(eng)
                self._engines[url] = eng
        self.engine = self._engines[url]

    # -- de-duplication -----------------------------------------------------------------------------
    def first_time(self, msg_id: str) -> bool:
        """Record ``msg_id``; False if it was seen before (a retry)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(seen.insert().values(msg_id=msg_id, seen_at=_now()))
            return True
        except IntegrityError:
            return False

    # -- tokens -------------------------------------------------------------------------------------------
    def tokens(self) -> Optional[TokenPair]:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.id == 1)).mappings().first()
        return TokenPair(row["access_token"], row["refresh_token"], row["version"]) if row else None

    def seed_tokens(self, access_token: str, refresh_token: str) -> None:
        """Store the initial pair (from the OA authorisation) if none is stored yet."""
        with self.engine.begin() as conn:
            if conn.execute(select(tokens.c.id).where(tokens.c.id == 1)).first() is None:
                conn.execute(tokens.insert().values(
                    id=1, access_token=access_token, refresh_token=refresh_token, version=1, updated_at=_now()))

    @contextmanager
    def locked_tokens(self) -> Iterator[tuple]:
        """A transaction holding the token row locked (SELECT ... FOR UPDATE on PostgreSQL), so that two
        processes never spend the same single-use refresh token. Yields (connection, pair or None)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(tokens).where(tokens.c.id == 1).with_for_update()).mappings().first()
            yield conn, (TokenPair(row["access_token"], row["refresh_token"], row["version"]) if row else None)

    @staticmethod
    def write_tokens(conn, pair: TokenPair, access_token: str, refresh_token: str, expires_in: int) -> None:
        conn.execute(
            tokens.update().where(tokens.c.id == 1)
            .values(access_token=access_token, refresh_token=refresh_token, version=pair.version + 1,
                    expires_at=_now() + dt.timedelta(seconds=expires_in), updated_at=_now())
        )

    # -- reply window -------------------------------------------------------------------------------------
    def user_wrote(self, user_id: str, at: Optional[dt.datetime] = None) -> None:
        at = at or _now()
        with self.engine.begin() as conn:
            updated = conn.execute(
                interactions.update().where(interactions.c.user_id == user_id)
                .values(last_user_message_at=at, sent_since=0)
            ).rowcount
            if not updated:
                conn.execute(interactions.insert().values(user_id=user_id, last_user_message_at=at, sent_since=0))

    def window(self, user_id: str) -> Optional[tuple]:
        with self.engine.connect() as conn:
            row = conn.execute(select(interactions).where(interactions.c.user_id == user_id)).mappings().first()
        return (row["last_user_message_at"], row["sent_since"]) if row else None

    def count_sent(self, user_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(interactions.update().where(interactions.c.user_id == user_id)
                         .values(sent_since=interactions.c.sent_since + 1))

    # -- undelivered ---------------------------------------------------------------------------------------
    def report_undelivered(self, user_id: str, text: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(undelivered.insert().values(user_id=user_id, text=text, reason=reason[:200], created_at=_now()))

    def undelivered(self, user_id: Optional[str] = None) -> List[dict]:
        q = select(undelivered).order_by(undelivered.c.id)
        if user_id:
            q = q.where(undelivered.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings().all()]

    # -- numbered choices -----------------------------------------------------------------------------------
    def offer(self, user_id: str, payloads: List[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(choices.delete().where(choices.c.user_id == user_id))
            conn.execute(choices.insert().values(user_id=user_id, payloads=json.dumps(payloads)))

    def choice(self, user_id: str, number: int) -> Optional[str]:
        with self.engine.connect() as conn:
            row = conn.execute(select(choices.c.payloads).where(choices.c.user_id == user_id)).first()
        if not row:
            return None
        payloads = json.loads(row[0])
        return payloads[number - 1] if 1 <= number <= len(payloads) else None
