"""Alembic migrations of the project's tables, on real databases: SQLite (a file) and the machine's
PostgreSQL (a throw-away database per test, dropped after).

- from an empty database, and from the two tables `actions/store.py` made with `metadata.create_all` before
  the migrations (the OLD definition is reproduced here), with rows in them;
- the models (cases/schema.py) and the migrated schema agree (Alembic's autogenerate comparison);
- revision 1 is exactly the old `create_all` schema; downgrade and upgrade again;
- `python -m cases.db upgrade` from another working directory; `actions/store.py` migrates on first use.
"""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    select,
    text,
)

from cases import db, repository
from cases.schema import metadata
from tests.databases import throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]

# --- the schema as `actions/store.py` created it before the migrations (metadata.create_all) -------------
OLD = MetaData()
old_referral_counts = Table(
    "referral_counts",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("problem", String(32), nullable=False),
    Column("province", String(64), nullable=False),
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("count", Integer, nullable=False, default=0),
    UniqueConstraint("day", "problem", "province", "channel", name="uq_referral_bucket"),
)
old_cases = Table(
    "handoff_cases",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("channel", String(32), nullable=False, default="unknown"),
    Column("topic", String(64)),
    Column("province", String(64)),
    Column("summary", Text),
    Column("status", String(16), nullable=False, default="open"),
)
NEW_TABLES = {
    "staff_accounts", "case_messages", "case_notes", "case_assignments", "case_referrals", "case_ratings",
    "audit_log", "staff_sessions", "login_attempts", "consents",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ansinh.db"
        return
    with throwaway_postgres() as pg_url:
        try:
            yield pg_url
        finally:
            from actions import store

            for key in [k for k in store._engines if k == pg_url]:  # an engine store.py kept open
                store._engines.pop(key).dispose()


def _tables(url):
    eng = create_engine(url, future=True)
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def _old_database(url):
    """What a database looked like before the migrations: create_all, one referral count, one open case."""
    eng = create_engine(url, future=True)
    OLD.create_all(eng)
    with eng.begin() as conn:
        conn.execute(old_referral_counts.insert().values(day=dt.date(2026, 11, 2), problem="dispute", province="Tây Ninh", channel="telegram", count=3))
        conn.execute(
            old_cases.insert().values(
                created_at=dt.datetime(2026, 11, 2, 8, 30), sender_hash=repository.sender_hash("zalo-123"),
                channel="zalo", topic="labour_dispute", province="Tây Ninh", summary="công ty nợ lương", status="open",
            )
        )
    eng.dispose()


def test_upgrade_from_an_empty_database(url):
    assert db.upgrade(url) == db.head() == "0004"
    assert _tables(url) >= set(metadata.tables) | {"alembic_version"}
    assert db.differences(url) == []


def test_upgrade_from_the_tables_of_create_all_stamps_revision_1_and_migrates_the_rows(url):
    _old_database(url)
    assert "alembic_version" not in _tables(url)

    assert db.upgrade(url) == "0004"

    assert db.differences(url) == []
    eng = db.make_engine(url)
    try:
        with eng.connect() as conn:
            case = conn.execute(select(metadata.tables["handoff_cases"])).mappings().one()
            counts = conn.execute(select(metadata.tables["referral_counts"])).mappings().all()
        assert case["status"] == "waiting"  # "open" before
        assert case["sender_hash"] == repository.sender_hash("zalo-123") and case["sender_id"] is None
        assert (case["summary"], case["province"], case["channel"]) == ("công ty nợ lương", "Tây Ninh", "zalo")
        assert [(c["problem"], c["province"], c["channel"], c["count"]) for c in counts] == [("dispute", "Tây Ninh", "telegram", 3)]
        # The migrated case is the person's open case: a new request adds to it, with the sender id now kept.
        opened = repository.open_or_extend_case(eng, "zalo-123", "zalo", summary="vẫn chưa được trả")
        assert opened == (case["id"], False)
        again = repository.get_case(eng, case["id"])
        assert again["sender_id"] == "zalo-123" and "vẫn chưa được trả" in again["summary"]
    finally:
        eng.dispose()


def test_revision_1_is_exactly_the_old_create_all_schema(url):
    db.upgrade(url, "0001")
    eng = create_engine(url, future=True)
    try:
        with eng.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), OLD) == []
    finally:
        eng.dispose()


def test_upgrade_twice_changes_nothing_and_downgrade_to_revision_1_and_back(url):
    _old_database(url)
    db.upgrade(url)
    assert db.upgrade(url) == "0004"
    cfg = db.alembic_config(url)
    command.downgrade(cfg, "0001")
    assert db.current(url) == "0001"
    assert not (_tables(url) & NEW_TABLES)
    eng = create_engine(url, future=True)
    with eng.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), OLD) == []
        assert conn.execute(select(old_cases.c.status)).scalar_one() == "open"
    eng.dispose()
    db.upgrade(url)
    assert db.differences(url) == []


def test_tables_that_are_not_ours_are_left_alone(url):
    eng = create_engine(url, future=True)
    with eng.begin() as conn:  # as Rasa's SQL tracker store would have it in the production database
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"))
        conn.execute(text("INSERT INTO events (id, sender_id, data) VALUES (1, 'u1', '{}')"))
    eng.dispose()
    db.upgrade(url)
    assert db.differences(url) == []
    eng = create_engine(url, future=True)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 1
    eng.dispose()


def test_a_partial_old_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path}/partial.db"
    eng = create_engine(url, future=True)
    old_referral_counts.create(eng)
    eng.dispose()
    with pytest.raises(RuntimeError, match="not a database this project created"):
        db.upgrade(url)


def test_command_line_upgrade_works_from_any_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite:///{tmp_path}/cli.db"
    _old_database(url)
    env = {**os.environ, "ANSINH_DB_URL": url, "PYTHONPATH": str(ROOT)}
    run = lambda *args: subprocess.run([sys.executable, "-m", "cases.db", *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    up = run("upgrade")
    assert up.returncode == 0, up.stderr
    assert "0004" in up.stdout
    assert run("current").stdout.strip() == "0004"
    check = run("check")
    assert check.returncode == 0 and "agree" in check.stdout
    assert not list(elsewhere.iterdir())  # nothing written in the working directory


def test_store_migrates_an_old_database_on_first_use(url):
    from actions import store

    _old_database(url)
    case_id = store.open_case("zalo-123", "zalo", "labour_dispute", "Tây Ninh", "cho tôi gặp cán bộ", url=url)
    assert db.current(url) == "0004"
    open_ = store.open_cases(url=url)
    assert [c["id"] for c in open_] == [case_id]  # the old open case, extended: one open case per person
    assert open_[0]["sender_id"] == "zalo-123" and open_[0]["status"] == "waiting"
    store.record_referral("dispute", "Tây Ninh", channel="telegram", day=dt.date(2026, 11, 2), url=url)
    assert store.referral_totals(url=url) == [("dispute", "Tây Ninh", 4)]


def test_check_constraints_of_the_models_are_in_the_database(url):
    """Autogenerate does not compare CHECK constraints: compare their names here."""
    db.upgrade(url)
    eng = create_engine(url, future=True)
    try:
        insp = inspect(eng)
        for table in metadata.tables.values():
            expected = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
            assert {c["name"] for c in insp.get_check_constraints(table.name)} == expected, table.name
    finally:
        eng.dispose()
