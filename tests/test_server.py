"""End to end over real HTTP: the embedded default (SQLite) and the production configuration
(PostgreSQL tracker store and case database, Redis lock store) against the machine's servers."""
import concurrent.futures
import contextlib
import os
import sqlite3
import uuid

import pytest

from tests.servers import ROOT, action_server, assistant, default_endpoints, rasa_server, say, text_of

TODAY = {"ANSINH_TODAY": "2026-11-25"}


def test_default_configuration_answers_over_rest_and_stores_in_sqlite(tmp_path):
    env = {"ANSINH_TODAY": "2026-11-25", "ANSINH_DB_URL": f"sqlite:///{tmp_path}/cases.db", "ANSINH_MAX_IN_FLIGHT": "3"}
    with contextlib.ExitStack() as actions, contextlib.ExitStack() as rasa:
        aport = actions.enter_context(action_server(tmp_path, env))
        port = rasa.enter_context(rasa_server(tmp_path, default_endpoints(tmp_path, aport), env))
        _answers_and_erases(port, tmp_path)
        # More at once than the process takes (3 here): every request is answered, the extra ones at once
        # with the polite "busy" reply; none hangs, none is an error.
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            replies = list(pool.map(lambda i: text_of(say(port, f"load-{i}", "bhxh tự nguyện là gì")), range(16)))
        assert all(replies)
        busy = [r for r in replies if "rất nhiều người đang hỏi" in r]
        assert busy and len(busy) < len(replies)
        assert all("BHXH" in r or "bảo hiểm xã hội" in r.lower() for r in replies if r not in busy)
        # The action server down: a polite apology, not silence; back again, the conversation goes on
        # where it was (a half-finished calculation keeps its answers).
        assert "113.850 đồng" in text_of(say(port, "g", "tính tiền bhyt hộ gia đình"))
        actions.close()
        down = text_of(say(port, "g", "4 người"))
        assert "sự cố" in down and "nhắn lại" in down
        actions.enter_context(action_server(tmp_path, env, port=aport))
        assert "BHYT hộ gia đình cho 4 người" in text_of(say(port, "g", "4 người"))
    _stored_and_erased(tmp_path)


def _answers_and_erases(port: int, tmp_path) -> None:
    """Answers over REST, bad input, and an erasure (checked in the databases by _stored_and_erased)."""
    reply = text_of(say(port, "a", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"))
    for expected in ("22%", "1.500.000 đồng", "50.600.000 đồng", "264.000 đồng", "Luật Bảo hiểm xã hội 41/2024/QH15"):
        assert expected in reply
    assert "528.000 đồng" in text_of(say(port, "b", "thu nhập 3 triệu, hộ cận nghèo, đóng hàng tháng thì bao nhiêu"))
    # Bad input: emoji only and an empty message get a clear Vietnamese answer, not an error.
    assert text_of(say(port, "c", "😀😀😀"))
    assert isinstance(say(port, "c", ""), list)
    assert "22%" in text_of(say(port, "c", "dong bhxh tu nguyen bao nhieu"))  # the conversation goes on
    # "xóa dữ liệu của tôi", confirmed, erases the conversation in the tracker store and the event broker;
    # the conversation starts afresh; nobody else's is touched.
    phone, cccd = "0912345678", "001203004567"
    say(port, "e", f"công ty nợ lương tôi 2 tháng, sđt tôi {phone}, cccd {cccd}")
    say(port, "f", f"cty no luong e, sdt e {phone}")
    assert "Xóa dữ liệu" in text_of(say(port, "e", "xóa dữ liệu của tôi"))
    assert "đã xóa" in text_of(say(port, "e", "/affirm"))
    assert "22%" in text_of(say(port, "e", "dong bhxh tu nguyen bao nhieu"))


def _stored_and_erased(tmp_path) -> None:
    phone, cccd = "0912345678", "001203004567"
    rasa_db = sqlite3.connect(tmp_path / "rasa.db")
    rows = rasa_db.execute("select count(*) from events where sender_id='a'").fetchone()
    assert rows[0] > 0
    erased = [r[0] for r in rasa_db.execute("select data from events where sender_id='e' order by id")]
    assert erased and '"event": "restart"' in erased[0] and not any(phone in d or cccd in d or "nợ lương" in d for d in erased)
    assert any("dong bhxh tu nguyen" in d for d in erased)  # what came after the erasure is kept
    assert any(phone in r[0] for r in rasa_db.execute("select data from events where sender_id='f'"))
    # The event broker (the dashboard's source) never had a sender id or a personal number; the erased
    # person's earlier events are gone from it too.
    from cases.repository import sender_hash

    broker = sqlite3.connect(tmp_path / "events.db")
    senders = {r[0] for r in broker.execute("select distinct sender_id from events")}
    assert sender_hash("a") in senders and not senders & {"a", "b", "c", "e", "f"}
    assert not any(phone in r[0] or cccd in r[0] for r in broker.execute("select data from events"))
    assert any("*******678" in r[0] for r in broker.execute("select data from events where sender_id=?", (sender_hash("f"),)))
    of_e = [r[0] for r in broker.execute("select data from events where sender_id=? order by id", (sender_hash("e"),))]
    assert of_e and '"restart"' in of_e[0] and not any("no luong" in d or "nợ lương" in d for d in of_e)


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
