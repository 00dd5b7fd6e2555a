"""Production: Rasa's event stream from RabbitMQ into the dashboard's events table.

In production Rasa publishes every event to RabbitMQ (``event_broker: type: pika`` in endpoints.production.yml).
This consumer stores them in the same table Rasa's SQL event broker writes by default (``events``: id, sender_id,
data), in ``ANSINH_EVENTS_URL``, the sender id replaced by its hash, (a PostgreSQL database of its own; never the tracker store's), so
``outreach/metrics.py`` reads either the same way. Phone, ID-card and social-insurance numbers in message texts
anywhere in an event (texts, slot values) are masked before they are stored (``cases.repository.mask``); the dashboard shows aggregates only.

A message is acknowledged after its row is committed: a crash in between gives it again, and it is stored once
(the broker's message id is kept; a repeat is skipped). The erasure marker (a ``restart`` event whose metadata
has ``cases.repository.ERASE``) deletes the person's earlier rows.

    python -m outreach.events_consumer [--queue rasa_events] [--max N]
Settings: ANSINH_RABBITMQ_URL (amqp://guest:guest@localhost:5672/), ANSINH_EVENTS_QUEUE, ANSINH_EVENTS_URL.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cases.repository import ERASE, masked, pseudonym
from cases import log_masking

logger = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach this process's logs

meta = MetaData()
# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py), plus the broker's message id for once-only storage.
events = Table(
    "events", meta,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
    Column("message_id", String(128), unique=True),
)
def store(eng: Engine, body: bytes, message_id: Optional[str]) -> bool:
    """Store one broker message; False when it was stored before (or is not an event)."""
    try:
        event = json.loads(body)
    except ValueError:
        logger.warning("events consumer: a message that is not JSON was dropped")
        return False
    if not isinstance(event, dict) or "event" not in event:
        return False
    sender = pseudonym(str(event.get("sender_id") or ""))  # distinct users still count; the id is not kept
    event = {**masked({k: v for k, v in event.items() if k != "sender_id"}), "sender_id": sender}
    try:
        with eng.begin() as conn:
            if event.get("event") == "restart" and (event.get("metadata") or {}).get(ERASE):
                # The person had their data erased (channels/tracker_store.py): so are their events here.
                conn.execute(events.delete().where(events.c.sender_id == sender))
            conn.execute(events.insert().values(sender_id=sender,
                                                data=json.dumps(event, ensure_ascii=False), message_id=message_id))
    except IntegrityError:
        return False
    return True


def engine(url: Optional[str] = None) -> Engine:
    eng = create_engine(url or os.environ.get("ANSINH_EVENTS_URL") or "sqlite:///events.db", future=True, pool_pre_ping=True)
    meta.create_all(eng)
    return eng


async def consume(eng: Engine, amqp_url: str, queue_name: str, max_messages: Optional[int] = None,
                  idle_timeout: Optional[float] = None) -> int:
    """Consume until ``max_messages`` were handled (or, with ``idle_timeout``, nothing came for that long)."""
    import aio_pika

    handled = 0
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)  # as Rasa's pika broker declares it
        async with queue.iterator() as messages:
            while max_messages is None or handled < max_messages:
                try:
                    message = await asyncio.wait_for(messages.__anext__(), idle_timeout) if idle_timeout else await messages.__anext__()
                except asyncio.TimeoutError:
                    break
                store(eng, message.body, message.message_id)
                await message.ack()
                handled += 1
    return handled


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outreach.events_consumer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", default=os.environ.get("ANSINH_EVENTS_QUEUE", "rasa_events"))
    parser.add_argument("--max", type=int, default=None, help="stop after this many messages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    amqp = os.environ.get("ANSINH_RABBITMQ_URL", "amqp://guest:guest@localhost:5672/")
    n = asyncio.run(consume(engine(), amqp, args.queue, args.max))
    print(f"{n} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
