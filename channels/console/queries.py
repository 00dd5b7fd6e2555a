"""Read-only queries of the console over the case tables (cases/schema.py) that cases/repository.py does not
offer: the inbox with filters, the assigned officer and whether the user wrote since the last staff reply,
provinces without an active officer, aggregate figures. Writes go through cases.repository."""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from cases.schema import CASE_STATUSES, OPEN_STATUSES, audit_log, case_messages, cases, staff_accounts


def inbox(
    eng: Engine,
    *,
    statuses: Iterable[str] = OPEN_STATUSES,
    province: Optional[str] = None,
    topic: Optional[str] = None,
    limit: int = 500,
) -> List[dict]:
    """Cases with the assigned officer's username, oldest first; ``new_message`` is True when the user's newest
    message on the case (recorded during a takeover) is newer than the last staff reply, or there is no staff
    reply yet; ``last_user_text`` is that message (unmasked: a list masks it)."""
    assignee = staff_accounts.alias("assignee")

    def newest(direction: str):
        return (
            select(func.max(case_messages.c.id))
            .where(case_messages.c.case_id == cases.c.id, case_messages.c.direction == direction)
            .scalar_subquery()
        )

    last_user, last_staff = newest("user").label("last_user_message_id"), newest("staff").label("last_staff_message_id")
    q = (
        select(cases, assignee.c.username.label("assigned_username"), last_user, last_staff)
        .select_from(cases.outerjoin(assignee, assignee.c.id == cases.c.assigned_staff_id))
        .where(cases.c.status.in_(tuple(statuses)))
    )
    if province is not None:
        q = q.where(cases.c.province == province)
    if topic is not None:
        q = q.where(cases.c.topic == topic)
    with eng.connect() as conn:
        rows = [dict(r) for r in conn.execute(q.order_by(cases.c.created_at, cases.c.id).limit(limit)).mappings()]
        unread = tuple(r["last_user_message_id"] for r in rows if has_new_message(r))
        texts = dict(conn.execute(select(case_messages.c.id, case_messages.c.text).where(case_messages.c.id.in_(unread))).all()) if unread else {}
    for r in rows:
        r["new_message"] = has_new_message(r)
        r["last_user_text"] = texts.get(r["last_user_message_id"]) if r["new_message"] else None
    return rows


def has_new_message(row: dict) -> bool:
    """The user wrote after the last staff reply (message ids grow with time; bot messages do not count)."""
    user, staff = row.get("last_user_message_id"), row.get("last_staff_message_id")
    return user is not None and (staff is None or user > staff)


def provinces_with_officers(eng: Engine) -> Set[str]:
    q = select(staff_accounts.c.province).where(
        staff_accounts.c.role == "officer", staff_accounts.c.active.is_(True), staff_accounts.c.province.isnot(None)
    ).distinct()
    with eng.connect() as conn:
        return {r[0] for r in conn.execute(q)}


def known_values(eng: Engine) -> Dict[str, List[str]]:
    """Provinces and topics that occur on cases (for the inbox filters)."""
    with eng.connect() as conn:
        provinces = [r[0] for r in conn.execute(select(cases.c.province).where(cases.c.province.isnot(None)).distinct())]
        topics = [r[0] for r in conn.execute(select(cases.c.topic).where(cases.c.topic.isnot(None)).distinct())]
    return {"provinces": sorted(provinces), "topics": sorted(topics)}


def figures(eng: Engine) -> Dict[str, object]:
    """Counts only, no personal data: by status, by province and status, by topic and status."""
    with eng.connect() as conn:
        by_status = {s: 0 for s in CASE_STATUSES}
        for status, n in conn.execute(select(cases.c.status, func.count()).group_by(cases.c.status)):
            by_status[status] = int(n)

        def grouped(column) -> List[dict]:
            rows: Dict[str, Dict[str, int]] = {}
            for key, status, n in conn.execute(select(column, cases.c.status, func.count()).group_by(column, cases.c.status)):
                row = rows.setdefault(key or "", {s: 0 for s in CASE_STATUSES})
                row[status] = int(n)
            return [{"key": k, "counts": v, "total": sum(v.values())} for k, v in sorted(rows.items())]

        return {"by_status": by_status, "total": sum(by_status.values()),
                "by_province": grouped(cases.c.province), "by_topic": grouped(cases.c.topic)}


def audit_entry(eng: Engine, entry_id: int) -> Optional[dict]:
    with eng.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.id == entry_id)).mappings().first()
    return dict(row) if row else None
