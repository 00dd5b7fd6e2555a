"""Read-only queries of the console over the case tables (cases/schema.py) that cases/repository.py does not
offer: the inbox with filters and the assigned officer, provinces without an active officer, aggregate figures.
Writes go through cases.repository."""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from cases.schema import CASE_STATUSES, OPEN_STATUSES, cases, staff_accounts


def inbox(
    eng: Engine,
    *,
    statuses: Iterable[str] = OPEN_STATUSES,
    province: Optional[str] = None,
    topic: Optional[str] = None,
    limit: int = 500,
) -> List[dict]:
    """Cases with the assigned officer's username, oldest first."""
    assignee = staff_accounts.alias("assignee")
    q = (
        select(cases, assignee.c.username.label("assigned_username"))
        .select_from(cases.outerjoin(assignee, assignee.c.id == cases.c.assigned_staff_id))
        .where(cases.c.status.in_(tuple(statuses)))
    )
    if province is not None:
        q = q.where(cases.c.province == province)
    if topic is not None:
        q = q.where(cases.c.topic == topic)
    with eng.connect() as conn:
        return [dict(r) for r in conn.execute(q.order_by(cases.c.created_at, cases.c.id).limit(limit)).mappings()]


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
