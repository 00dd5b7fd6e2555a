"""Subscriptions to reminders and news, with their consent (Law 91/2025/QH15): opt in, opt out at once,
erase; and the web notices a visitor sees at their next visit.

Functions take a SQLAlchemy Connection or Engine (``cases.repository._tx``); rows are dicts; times naive UTC.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from cases import repository as repo
from cases.repository import _tx, now, sender_hash
from cases.schema import SUBSCRIPTION_KINDS, consents, outreach_deliveries, subscriptions

WEB_CHANNEL = "socketio"  # the widget's channel name: its notices wait for the visitor's next visit


def purpose(kind: str) -> str:
    return f"outreach_{kind}"


@_tx
def subscribe(conn: Connection, sender_id: str, channel: str, kind: str, wording: str, *,
              details: Optional[Dict[str, Any]] = None, province: Optional[str] = None, group: Optional[str] = None,
              topic: Optional[str] = None, segment_consent: bool = False) -> int:
    """Record the consent (with the exact wording shown) and the subscription; a person subscribed to the same
    kind already has it replaced (one reminder series per kind). Segment facts are kept only with
    ``segment_consent``. Returns the subscription id."""
    if kind not in SUBSCRIPTION_KINDS:
        raise ValueError(f"kind is one of {SUBSCRIPTION_KINDS}, not {kind!r}")
    unsubscribe(conn, sender_id, kind, reason="replaced")
    consent_id = repo.record_consent(conn, sender_id, purpose(kind), channel, wording, granted=True)
    t = now()
    keep = bool(segment_consent)
    result = conn.execute(subscriptions.insert().values(
        created_at=t, updated_at=t, sender_hash=sender_hash(sender_id), sender_id=sender_id, channel=channel or "unknown",
        kind=kind, details=details or {}, province=province if keep else None, group=group if keep else None,
        topic=topic if keep else None, segment_consent=keep, consent_id=consent_id, active=True,
    ))
    sub_id = int(result.inserted_primary_key[0])
    repo.audit(conn, "subscribed", actor="user", detail={"subscription": sub_id, "kind": kind, "channel": channel,
                                                          "segment_consent": keep})
    return sub_id


@_tx
def unsubscribe(conn: Connection, sender_id: str, kind: Optional[str] = None, *, reason: str = "user") -> int:
    """End the person's active subscriptions (of ``kind``, or all): nothing more is sent from now on, and
    their consents are withdrawn. The number ended."""
    where = [subscriptions.c.sender_hash == sender_hash(sender_id), subscriptions.c.active.is_(True)]
    if kind is not None:
        where.append(subscriptions.c.kind == kind)
    rows = conn.execute(select(subscriptions.c.id, subscriptions.c.kind, subscriptions.c.consent_id).where(and_(*where))).all()
    t = now()
    for sub_id, sub_kind, consent_id in rows:
        conn.execute(subscriptions.update().where(subscriptions.c.id == sub_id).values(
            active=False, ended_at=t, updated_at=t, end_reason=reason))
        if consent_id is not None:
            conn.execute(consents.update().where(consents.c.id == consent_id, consents.c.withdrawn_at.is_(None))
                         .values(withdrawn_at=t))
        repo.audit(conn, "unsubscribed", actor="user", detail={"subscription": sub_id, "kind": sub_kind, "reason": reason})
    return len(rows)


@_tx
def active(conn: Connection, sender_id: Optional[str] = None) -> List[dict]:
    """Active subscriptions (of one person, or everyone's), oldest first."""
    q = select(subscriptions).where(subscriptions.c.active.is_(True), subscriptions.c.sender_id.isnot(None))
    if sender_id is not None:
        q = q.where(subscriptions.c.sender_hash == sender_hash(sender_id))
    return [dict(r) for r in conn.execute(q.order_by(subscriptions.c.id)).mappings()]


@_tx
def erase(conn: Connection, sender_id: str) -> int:
    """The person asked to erase their data: subscriptions end and lose the sender id, details and segment
    facts; pending web notices are dropped. The number of subscriptions touched."""
    h = sender_hash(sender_id)
    ids = [r[0] for r in conn.execute(select(subscriptions.c.id).where(subscriptions.c.sender_hash == h)).all()]
    t = now()
    for sub_id in ids:
        conn.execute(subscriptions.update().where(subscriptions.c.id == sub_id).values(
            active=False, ended_at=t, updated_at=t, end_reason="erased", sender_id=None, details=None, province=None,
            group=None, topic=None, segment_consent=False))
        conn.execute(outreach_deliveries.update().where(
            outreach_deliveries.c.subscription_id == sub_id).values(text=None))
    return len(ids)


@_tx
def pending_notices(conn: Connection, sender_id: str, *, take: bool = True) -> List[str]:
    """The web notices waiting for this visitor (oldest first); with ``take`` they are marked delivered."""
    q = (select(outreach_deliveries.c.id, outreach_deliveries.c.text)
         .select_from(outreach_deliveries.join(subscriptions, outreach_deliveries.c.subscription_id == subscriptions.c.id))
         .where(subscriptions.c.sender_hash == sender_hash(sender_id), outreach_deliveries.c.status == "waiting_visit")
         .order_by(outreach_deliveries.c.id))
    rows = conn.execute(q).all()
    if take and rows:
        conn.execute(outreach_deliveries.update().where(outreach_deliveries.c.id.in_([r[0] for r in rows]))
                     .values(status="delivered", finished_at=now()))
    return [r[1] for r in rows if r[1]]


SEGMENT_PURPOSE = "outreach_segments"


@_tx
def keep_segment(conn: Connection, sender_id: str, wording: str, channel: str, *, province: Optional[str] = None,
                 group: Optional[str] = None, topic: Optional[str] = None) -> int:
    """The person agreed to news chosen by their province, group and topic: those facts are kept on their
    active subscriptions (a consent of its own). The number of subscriptions updated."""
    consent_id = repo.record_consent(conn, sender_id, SEGMENT_PURPOSE, channel, wording, granted=True)
    updated = conn.execute(subscriptions.update().where(
        subscriptions.c.sender_hash == sender_hash(sender_id), subscriptions.c.active.is_(True)).values(
        province=province, group=group, topic=topic, segment_consent=True, updated_at=now())).rowcount
    repo.audit(conn, "segment_kept", actor="user", detail={"consent": consent_id, "subscriptions": updated})
    return updated
