"""Throw-away databases for tests: a fresh database on the machine's PostgreSQL, dropped afterwards."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The URL of a new, empty database (skips the test when PostgreSQL is unreachable)."""
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable ({type(err).__name__}); start it with "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    name = f"ansinh_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
