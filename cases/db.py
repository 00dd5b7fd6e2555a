"""The database: engine from ``ANSINH_DB_URL`` (default ``sqlite:///ansinh.db``) and its Alembic migrations.

    python -m cases.db upgrade [--url URL]   # migrate to the newest revision (`make run` does this)
    python -m cases.db current [--url URL]   # the revision the database is at
    python -m cases.db check   [--url URL]   # exit 1 if the tables differ from cases/schema.py

The Alembic configuration is built in code (`alembic_config`), so none of this depends on the working
directory; ``cases/alembic.ini`` is there for the ``alembic`` command line (``alembic -c cases/alembic.ini``).

A database made before the migrations existed (``metadata.create_all`` in ``actions/store.py``: the tables
``referral_counts`` and ``handoff_cases``, no ``alembic_version``) is recognised and stamped at revision 1,
then upgraded like any other.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from cases.schema import metadata

DEFAULT_URL = "sqlite:///ansinh.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # revision 1: the two tables of `metadata.create_all`
LEGACY_TABLES = {
    "referral_counts": {"id", "day", "problem", "province", "channel", "count"},
    "handoff_cases": {"id", "created_at", "sender_hash", "channel", "topic", "province", "summary", "status"},
}
_PG_LOCK = 7_415_120_260  # pg_advisory_xact_lock key: one migrating process at a time


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Only the project's tables: a shared database also holds Rasa's `events` and the Zalo channel's."""
    if type_ == "table" and reflected and compare_to is None:
        return name in metadata.tables
    return True


def database_url(url: Optional[str] = None) -> str:
    return url or os.environ.get("ANSINH_DB_URL") or DEFAULT_URL


def make_engine(url: Optional[str] = None, *, foreign_keys: bool = True, **kwargs) -> Engine:
    """A new engine (SQLAlchemy 1.4, 2.0-style). On SQLite, foreign keys are enforced unless told not to."""
    eng = create_engine(database_url(url), future=True, pool_pre_ping=True, **kwargs)
    if eng.dialect.name == "sqlite" and foreign_keys:

        @event.listens_for(eng, "connect")
        def _fk_on(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return eng


def alembic_config(url: Optional[str] = None, connection: Optional[Connection] = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a URL's % (e.g. an escaped password) must be doubled.
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    cfg.attributes["url"] = database_url(url)  # wins over ANSINH_DB_URL in env.py
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(conn: Connection) -> Optional[str]:
    return MigrationContext.configure(conn).get_current_revision()


def _is_legacy(conn: Connection) -> bool:
    """The tables of `metadata.create_all` without an `alembic_version`: stamp revision 1."""
    insp = inspect(conn)
    names = set(insp.get_table_names())
    if "alembic_version" in names and _current(conn) is not None:
        return False
    present = [t for t in LEGACY_TABLES if t in names]
    if not present:
        return False
    if len(present) != len(LEGACY_TABLES):
        raise RuntimeError(
            f"database has {present} but not all of {sorted(LEGACY_TABLES)} and no alembic_version: "
            "not a database this project created; migrate it by hand"
        )
    for table, columns in LEGACY_TABLES.items():
        have = {c["name"] for c in insp.get_columns(table)}
        if not columns <= have:
            raise RuntimeError(f"table {table} lacks columns {sorted(columns - have)}: not the project's old schema")
    return True


def upgrade(url: Optional[str] = None, revision: str = "head") -> str:
    """Migrate the database at `url` (default: ANSINH_DB_URL) to `revision`; return the revision reached."""
    eng = make_engine(url, foreign_keys=False)  # SQLite's batch mode recreates tables: no FK checks meanwhile
    try:
        with eng.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            cfg = alembic_config(url, conn)
            if _is_legacy(conn):
                command.stamp(cfg, BASELINE)
            command.upgrade(cfg, revision)
            return _current(conn) or ""
    finally:
        eng.dispose()


def current(url: Optional[str] = None) -> Optional[str]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return _current(conn)
    finally:
        eng.dispose()


def differences(url: Optional[str] = None) -> List[tuple]:
    """What Alembic's autogenerate finds between cases/schema.py and the database (empty when they agree)."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            return list(compare_metadata(ctx, metadata))
    finally:
        eng.dispose()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cases.db", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["upgrade", "current", "check"])
    parser.add_argument("--url", help="database URL (default: ANSINH_DB_URL, else sqlite:///ansinh.db)")
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        rev = upgrade(args.url)
        print(f"database at revision {rev}")
    elif args.command == "current":
        print(current(args.url) or "no revision")
    else:
        diffs = differences(args.url)
        for d in diffs:
            print(d)
        if diffs:
            return 1
        print("schema and migrations agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
