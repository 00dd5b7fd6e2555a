"""Rasa's event stream over the machine's RabbitMQ into the dashboard's events table (outreach/events_consumer.py)."""
import asyncio
import json
import uuid

import pytest
from sqlalchemy import select

from outreach import events_consumer as C

AMQP = "amqp://guest:guest@127.0.0.1:5672/"


async def _publish(queue_name, bodies):
    import aio_pika

    connection = await aio_pika.connect_robust(AMQP)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)
        for i, body in enumerate(bodies):
            await channel.default_exchange.publish(
                aio_pika.Message(body=body, message_id=f"m{i % 2}"), routing_key=queue_name)  # the third repeats m0


def test_events_from_rabbitmq_are_stored_once_masked_and_readable_by_the_dashboard(tmp_path):
    try:
        import socket
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672 (.ci/run starts it)")
    queue = f"ansinh-test-{uuid.uuid4().hex[:8]}"
    user = {"event": "user", "sender_id": "tg-1", "text": "số em 0912 345 678", "input_channel": "telegram",
            "parse_data": {"intent": {"name": "human_handoff"}, "text": "số em 0912 345 678"}}
    slot = {"event": "slot", "sender_id": "tg-1", "name": "state", "value": {"topic": "vsi_what"}}
    asyncio.run(_publish(queue, [json.dumps(user).encode(), json.dumps(slot).encode(), json.dumps(user).encode()]))
    eng = C.engine(f"sqlite:///{tmp_path}/events.db")
    assert asyncio.run(C.consume(eng, AMQP, queue, max_messages=3)) == 3
    with eng.connect() as conn:
        rows = conn.execute(select(C.events.c.sender_id, C.events.c.data)).all()
    assert len(rows) == 2  # the repeated delivery stored once
    stored = json.loads(rows[0].data)
    assert stored["event"] == "user" and "0912 345 678" not in rows[0].data and "0912345678" not in rows[0].data
    assert stored["parse_data"]["intent"]["name"] == "human_handoff"
    assert rows[0].sender_id == stored["sender_id"] != "tg-1" and len(rows[0].sender_id) == 64
    eng.dispose()


def test_the_erasure_marker_deletes_the_persons_rows_and_a_pseudonym_is_kept_as_it_is(tmp_path):
    """The tracker store publishes pseudonyms (channels/tracker_store.py): they are not hashed again, so the
    dashboard's funnel still meets the subscriptions' hashes; the erasure marker removes that person's rows."""
    from cases.repository import ERASE, sender_hash

    eng = C.engine(f"sqlite:///{tmp_path}/events.db")
    me, other = sender_hash("tg-1"), sender_hash("tg-2")
    for i, sender in enumerate((me, other, me)):
        assert C.store(eng, json.dumps({"event": "user", "sender_id": sender, "text": f"tin {i}"}).encode(), f"u{i}")
    with eng.connect() as conn:
        assert sorted({r[0] for r in conn.execute(select(C.events.c.sender_id))}) == sorted({me, other})
    marker = {"event": "restart", "sender_id": me, "timestamp": 1.0, "metadata": {ERASE: True}}
    assert C.store(eng, json.dumps(marker).encode(), "r1")
    with eng.connect() as conn:
        rows = conn.execute(select(C.events.c.sender_id, C.events.c.data)).all()
    assert [r.sender_id for r in rows if r.sender_id == me] == [me] and '"restart"' in [r.data for r in rows if r.sender_id == me][0]
    assert sum(r.sender_id == other for r in rows) == 1
    # A restart that is not an erasure deletes nothing.
    assert C.store(eng, json.dumps({"event": "restart", "sender_id": other}).encode(), "r2")
    with eng.connect() as conn:
        assert conn.execute(select(C.events.c.id).where(C.events.c.sender_id == other)).all().__len__() == 2
    eng.dispose()
