"""End to end over real HTTP: the embedded default (SQLite) and the production configuration
(PostgreSQL tracker store and case database, Redis lock store) against the machine's servers."""
import os
import sqlite3
import uuid

import pytest

from tests.servers import ROOT, action_server, assistant, rasa_server, say, text_of

TODAY = {"ANSINH_TODAY": "2026-11-25"}


def test_default_configuration_answers_over_rest_and_stores_in_sqlite(tmp_path):
    with assistant(tmp_path) as port:
        reply = text_of(say(port, "a", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"))
        for expected in ("22%", "1.500.000 đồng", "50.600.000 đồng", "264.000 đồng", "Luật Bảo hiểm xã hội 41/2024/QH15"):
            assert expected in reply
        assert "528.000 đồng" in text_of(say(port, "b", "thu nhập 3 triệu, hộ cận nghèo, đóng hàng tháng thì bao nhiêu"))
        # Bad input: emoji only and an empty message get a clear Vietnamese answer, not an error.
        assert text_of(say(port, "c", "😀😀😀"))
        assert isinstance(say(port, "c", ""), list)
        assert "22%" in text_of(say(port, "c", "dong bhxh tu nguyen bao nhieu"))  # the conversation goes on
    rows = sqlite3.connect(tmp_path / "rasa.db").execute("select count(*) from events where sender_id='a'").fetchone()
    assert rows[0] > 0


def _postgres_database():
    import psycopg2

    name = f"ansinh_test_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute(f"CREATE DATABASE {name}")
    return conn, name


AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def _drain_events_queue() -> int:
    import asyncio

    from outreach import events_consumer as C

    eng = C.engine("sqlite://")
    return asyncio.run(C.consume(eng, AMQP, "rasa_events", idle_timeout=1))


@pytest.mark.production
def test_production_configuration_keeps_the_conversation_across_a_restart(tmp_path):
    import psycopg2
    import redis

    admin, db = _postgres_database()
    try:
        redis.Redis(host="127.0.0.1", port=6379).ping()
        env = {
            **TODAY,
            "ANSINH_DB_URL": f"postgresql://postgres@127.0.0.1:5432/{db}",
            "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": db, "DB_USER": "postgres", "DB_PASSWORD": "",
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "3",
            "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
        }
        queue_drained = _drain_events_queue()  # events of earlier runs are not this run's
        with action_server(tmp_path, env) as aport:
            env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{aport}/webhook"
            endpoints = ROOT / "endpoints.production.yml"
            with rasa_server(tmp_path, endpoints, env) as port:
                first = text_of(say(port, "worker-1", "tính giúp tôi tiền đóng bhxh tự nguyện, thu nhập 3tr"))
                assert "nhóm nào" in first
            # A new Rasa process: the conversation state must come back from PostgreSQL.
            with rasa_server(tmp_path, endpoints, env) as port:
                second = text_of(say(port, "worker-1", "hộ cận nghèo"))
                assert "hằng tháng, 3 tháng" in second
                third = text_of(say(port, "worker-1", "hằng tháng"))
                assert "528.000 đồng" in third
                assert "đồng ý" in text_of(say(port, "worker-1", "cho tôi gặp người thật, số tôi 0912345678"))
                assert "tóm tắt" in text_of(say(port, "worker-1", "đồng ý"))
                assert "tỉnh" in text_of(say(port, "worker-1", "chủ nợ lương tôi hai tháng"))
                assert "mã hồ sơ" in text_of(say(port, "worker-1", "Bắc Ninh"))
        with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=db) as conn:
            cur = conn.cursor()
            cur.execute("select count(*) from events where sender_id = 'worker-1'")
            assert cur.fetchone()[0] >= 6
            cur.execute("select count(*) from handoff_cases")
            assert cur.fetchone()[0] == 1
        # The event stream went through RabbitMQ: the consumer stores it, the phone number masked.
        import asyncio

        from cases.repository import sender_hash
        from outreach import events_consumer as C

        events_db = C.engine(f"sqlite:///{tmp_path}/events.db")
        asyncio.run(C.consume(events_db, AMQP, "rasa_events", idle_timeout=5))
        with events_db.connect() as conn:
            rows = [r.data for r in conn.execute(C.events.select().where(C.events.c.sender_id == sender_hash("worker-1")))]
        assert len(rows) >= 6 and not any("0912345678" in r for r in rows) and queue_drained >= 0
    finally:
        admin.cursor().execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {db}")
        admin.close()
