"""Functions over the case database (cases/schema.py): cases, messages, notes, assignments, referral
records, ratings, the audit log, erasure, masking, staff accounts, login sessions and attempts, consents.

Every function takes a SQLAlchemy ``Connection`` (the caller's transaction) or an ``Engine`` (then it runs
in a transaction of its own) as its first argument. Rows come back as plain dicts. Times are naive UTC.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import secrets
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, TypeVar, Union

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from cases.schema import (
    CASE_STATUSES,
    DELIVERY_STATUSES,
    DIRECTIONS,
    OPEN_STATUSES,
    ROLES,
    audit_log,
    case_assignments,
    case_messages,
    case_notes,
    case_ratings,
    case_referrals,
    cases,
    consents,
    login_attempts,
    staff_accounts,
    staff_sessions,
)

Db = Union[Connection, Engine]
T = TypeVar("T")

# Which status may follow which. "resolved" is final: a new request after it opens a new case.
TRANSITIONS: Dict[str, frozenset] = {
    "bot": frozenset({"waiting", "with_staff", "resolved"}),  # handed back to the bot, case still open
    "waiting": frozenset({"with_staff", "escalated", "bot", "resolved"}),
    "with_staff": frozenset({"bot", "waiting", "escalated", "resolved"}),
    "escalated": frozenset({"with_staff", "waiting", "bot", "resolved"}),
    "resolved": frozenset(),
}


# How long after a case is resolved a bare "1".."5" from the user is its rating.
RATING_DAYS = 7


class InvalidTransition(ValueError):
    pass


class Opened(NamedTuple):
    case_id: int
    created: bool  # False: an open case of this person was extended


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _tx(fn: Callable[..., T]) -> Callable[..., T]:
    """Accept an Engine as well as a Connection: with an Engine, run in a transaction of its own."""

    @functools.wraps(fn)
    def wrapper(db: Db, *args, **kwargs):
        if isinstance(db, Engine):
            with db.begin() as conn:
                return fn(conn, *args, **kwargs)
        return fn(db, *args, **kwargs)

    return wrapper


def sender_hash(sender_id: str) -> str:
    """The pseudonym of a sender id (salted with ANSINH_HASH_SALT), as actions/store.py always made it."""
    salt = os.environ.get("ANSINH_HASH_SALT", "ansinh")
    return hashlib.sha256(f"{salt}:{sender_id}".encode()).hexdigest()


# Metadata key of the Restarted event that erases a conversation: the action returns it after the person
# confirmed "xóa dữ liệu của tôi"; the tracker store and the events consumer delete what they hold on it.
ERASE = "ansinh_erase"
_PSEUDONYM = re.compile(r"[0-9a-f]{64}")


def pseudonym(sender_or_pseudonym: str) -> str:
    """The pseudonym of a sender id; a pseudonym (what the tracker store publishes) is returned as it is."""
    return sender_or_pseudonym if _PSEUDONYM.fullmatch(sender_or_pseudonym) else sender_hash(sender_or_pseudonym)


# --- masking ----------------------------------------------------------------------------------------------

# A run of digits, single spaces, dots or dashes between them, optionally after "+".
_NUMBER_RUN = re.compile(r"(?<![\d+])\+?\d(?:[ .\-]?\d)*(?!\d)")
_GROUP = re.compile(r"\+?\d+")


def _personal_number(digits: str, plus: bool, separated: bool) -> bool:
    """Phone (0xxxxxxxxx, 02xxxxxxxxx landline, +84/84 and 9–10 digits), SI number (10 digits) or CCCD (12)."""
    if plus:
        return digits.startswith("84") and len(digits) in (11, 12)
    if separated and not digits.startswith("0"):
        return False  # 3.000.000.000 đồng is money, not a number of anyone's
    if len(digits) == 10 or len(digits) == 12:
        return True
    return len(digits) == 11 and (digits.startswith("02") or digits.startswith("84"))


def _mask_digits(s: str, keep: int = 3) -> str:
    total = sum(c.isdigit() for c in s)
    keep_from = total - keep
    out, seen = [], 0
    skip_country = 2 if s.startswith("+84") else 0  # "+84" itself identifies no one
    for c in s:
        if c.isdigit():
            out.append(c if seen < skip_country or seen >= keep_from else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def _mask_run(run: str) -> str:
    digits = re.sub(r"\D", "", run)
    if _personal_number(digits, run.startswith("+"), bool(re.search(r"[ .\-]", run))):
        return _mask_digits(run)
    # Several numbers side by side ("0912345678 0987654321"): take the longest personal number from each
    # group of digits onwards; leave the rest.
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    out, pos, i = [], 0, 0
    while i < len(groups):
        match = None
        for j in range(len(groups) - 1, i - 1, -1):
            part = run[groups[i][0]:groups[j][1]]
            d = re.sub(r"\D", "", part)
            if _personal_number(d, part.startswith("+"), j > i):
                match = j
                break
        if match is None:
            i += 1
            continue
        start, end = groups[i][0], groups[match][1]
        out.append(run[pos:start])
        out.append(_mask_digits(run[start:end]))
        pos, i = end, match + 1
    out.append(run[pos:])
    return "".join(out)


# A personal number has at least ten digits in a row or split by single separators: a text with fewer than
# nine digits in all is left as it is without running the masking expression over it. ``\d`` matches the
# digits of every script, so a text with a character outside the ranges below (which hold no digit but the
# ASCII ones: tests/test_cases_db.py checks every code point) always goes through the expression.
_MIN_DIGITS = 9
_MAYBE_OTHER_DIGIT = re.compile("[^\x00-\u065f\u1e00-\u2fff\U0001f000-\U0001fbef]")


def _too_few_digits(text: str) -> bool:
    if _MAYBE_OTHER_DIGIT.search(text):
        return False
    data = text.encode("utf-8", "surrogatepass")
    return len(data) - len(data.translate(None, b"0123456789")) < _MIN_DIGITS


def mask(text: Optional[str]) -> Optional[str]:
    """Mask phone numbers, 12-digit CCCD and 10-digit social-insurance numbers in `text`: all digits but the
    last three become "*" ("0912345678" → "*******678", "+84 912 345 678" → "+84 *** *** 678")."""
    if not text or _too_few_digits(text):
        return text
    return _NUMBER_RUN.sub(_mask_match, text)


def _mask_match(match: "re.Match[str]") -> str:
    run = match.group(0)
    # shorter than the shortest personal number (ten digits): left as it is, as _mask_run would leave it
    return run if len(run) < _SHORTEST else _mask_run(run)


_SHORTEST = 10


_PLAIN = {int, float, bool, type(None)}  # types masked() returns as they are


def masked(value: Any) -> Any:
    """``value`` (an event, a slot value: strings, dicts, lists) with personal numbers masked in every string.
    Called on every event the tracker store publishes: the common types are dispatched on first."""
    kind = type(value)
    if kind is str:
        return mask(value)
    if kind is dict:
        return {k: masked(v) for k, v in value.items()}
    if kind is list:
        return [masked(v) for v in value]
    if kind in _PLAIN:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


# --- cases ------------------------------------------------------------------------------------------------


def _row(conn: Connection, table, row_id: int) -> Optional[dict]:
    row = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
    return dict(row) if row else None


@_tx
def get_case(conn: Connection, case_id: int) -> Optional[dict]:
    return _row(conn, cases, case_id)


@_tx
def find_open_case(conn: Connection, sender_id: str) -> Optional[dict]:
    """The person's open case (the newest, if a "different matter" opened another), else None."""
    row = conn.execute(
        select(cases)
        .where(cases.c.sender_hash == sender_hash(sender_id), cases.c.status.in_(OPEN_STATUSES))
        .order_by(cases.c.id.desc())
        .limit(1)
    ).mappings().first()
    return dict(row) if row else None


@_tx
def open_or_extend_case(
    conn: Connection,
    sender_id: str,
    channel: Optional[str],
    *,
    topic: Optional[str] = None,
    province: Optional[str] = None,
    contact: Optional[str] = None,
    description: Optional[str] = None,
    summary: Optional[str] = None,
    facts: Optional[Dict[str, Any]] = None,
    new_matter: bool = False,
    status: str = "waiting",
) -> Opened:
    """Open a case for this person, or add to their open one (unless `new_matter`): the given fields replace
    the case's, `facts` are merged, `summary` and `description` are appended. A case the staff had handed back
    to the bot goes back to `status` (waiting)."""
    if status not in OPEN_STATUSES:
        raise ValueError(f"a case opens as one of {OPEN_STATUSES}, not {status!r}")
    t = now()
    existing = None if new_matter else find_open_case(conn, sender_id)
    if existing is None:
        result = conn.execute(
            cases.insert().values(
                created_at=t, updated_at=t, sender_hash=sender_hash(sender_id), sender_id=sender_id,
                channel=channel or "unknown", topic=topic, province=province, contact=contact,
                description=description, summary=(summary or "")[:2000] or None, facts=facts, status=status,
            )
        )
        case_id = int(result.inserted_primary_key[0])
        audit(conn, "case_opened", case_id=case_id, actor="bot", detail={"new_matter": new_matter, "status": status})
        return Opened(case_id, True)

    case_id = existing["id"]
    values: Dict[str, Any] = {"updated_at": t, "sender_id": sender_id}
    if channel:
        values["channel"] = channel  # the channel the person uses now is where replies go
    for key, value in (("topic", topic), ("province", province), ("contact", contact)):
        if value:
            values[key] = value
    if summary:
        values["summary"] = _append(existing["summary"], summary)[-2000:]
    if description:
        values["description"] = _append(existing["description"], description)
    if facts:
        values["facts"] = {**(existing["facts"] or {}), **facts}
    if existing["status"] == "bot":
        values["status"] = status
    conn.execute(cases.update().where(cases.c.id == case_id).values(**values))
    audit(conn, "case_extended", case_id=case_id, actor="bot", detail={"status": values.get("status", existing["status"])})
    return Opened(case_id, False)


def _append(old: Optional[str], new: str) -> str:
    return f"{old}\n---\n{new}" if old else new


@_tx
def list_cases(
    conn: Connection,
    *,
    statuses: Optional[Iterable[str]] = None,
    province: Optional[str] = None,
    topic: Optional[str] = None,
    limit: int = 200,
) -> List[dict]:
    """Cases, oldest first, filtered by status (default: the open ones), province and topic."""
    q = select(cases).where(cases.c.status.in_(tuple(statuses or OPEN_STATUSES)))
    if province is not None:
        q = q.where(cases.c.province == province)
    if topic is not None:
        q = q.where(cases.c.topic == topic)
    return [dict(r) for r in conn.execute(q.order_by(cases.c.id).limit(limit)).mappings()]


@_tx
def latest_case(conn: Connection, sender_id: str) -> Optional[dict]:
    """The person's open case, else their most recent one (resolved), else None; with ``rating_pending``:
    resolved by staff, the rating asked for (audit ``rating_requested``) within RATING_DAYS, not given yet."""
    case = find_open_case(conn, sender_id)
    if case is None:
        row = conn.execute(
            select(cases).where(cases.c.sender_hash == sender_hash(sender_id)).order_by(cases.c.id.desc()).limit(1)
        ).mappings().first()
        case = dict(row) if row else None
    if case is None:
        return None
    case["rating_pending"] = False
    if case["status"] == "resolved" and case["closed_reason"] != "withdrawn" and case["resolved_at"] is not None \
            and now() - case["resolved_at"] <= dt.timedelta(days=RATING_DAYS):
        asked = conn.execute(
            select(func.count()).select_from(audit_log)
            .where(audit_log.c.case_id == case["id"], audit_log.c.action == "rating_requested")
        ).scalar()
        rated = conn.execute(select(func.count()).select_from(case_ratings).where(case_ratings.c.case_id == case["id"])).scalar()
        case["rating_pending"] = bool(asked) and not rated
    return case


@_tx
def withdraw_case(conn: Connection, case_id: int) -> dict:
    """The user withdrew the request: the case is closed (resolved, reason "withdrawn")."""
    after = set_status(conn, case_id, "resolved", actor="user", reason="withdrawn")
    return after


@_tx
def cases_of(conn: Connection, sender_id: str) -> List[dict]:
    """Every case of this person (open or not), oldest first."""
    q = select(cases).where(cases.c.sender_hash == sender_hash(sender_id)).order_by(cases.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def erase_sender(conn: Connection, sender_id: str) -> List[int]:
    """The person asked to erase their data: every case of theirs loses its personal fields (erase_case);
    their consents are withdrawn. The ids of the cases erased."""
    ids = [c["id"] for c in cases_of(conn, sender_id)]
    for case_id in ids:
        if _row(conn, cases, case_id)["status"] != "resolved":
            set_status(conn, case_id, "resolved", actor="user", reason="withdrawn")
        erase_case(conn, case_id)
    t = now()
    conn.execute(
        consents.update().where(consents.c.sender_hash == sender_hash(sender_id), consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=t)
    )
    audit(conn, "data_erased_on_request", actor="user", detail={"cases": ids})
    return ids


@_tx
def set_status(conn: Connection, case_id: int, status: str, *, staff_id: Optional[int] = None, actor: str = "staff",
               reason: Optional[str] = None) -> dict:
    """Move a case to `status` along TRANSITIONS (InvalidTransition otherwise); returns the updated case.
    A resolved case records why (``reason``: "resolved" by default, "withdrawn" when the user withdrew it)."""
    if status not in CASE_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    case = _row(conn, cases, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    if status == case["status"]:
        return case
    if status not in TRANSITIONS[case["status"]]:
        raise InvalidTransition(f"case {case_id}: {case['status']} cannot become {status}")
    t = now()
    conn.execute(
        cases.update().where(cases.c.id == case_id).values(
            status=status, updated_at=t, resolved_at=t if status == "resolved" else None,
            closed_reason=(reason or "resolved") if status == "resolved" else None,
        )
    )
    detail = {"from": case["status"], "to": status}
    if status == "resolved":
        detail["reason"] = reason or "resolved"
    audit(conn, "status_changed", case_id=case_id, staff_id=staff_id, actor=actor, detail=detail)
    return _row(conn, cases, case_id)


# --- messages and notes -----------------------------------------------------------------------------------


@_tx
def add_message(
    conn: Connection,
    case_id: int,
    direction: str,
    text: str,
    *,
    staff_id: Optional[int] = None,
    delivery_status: Optional[str] = None,
    delivery_reason: Optional[str] = None,
) -> int:
    """A message on the case. Staff and bot messages start as "sent" unless told otherwise."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction is one of {DIRECTIONS}, not {direction!r}")
    if direction != "user" and delivery_status is None:
        delivery_status = "sent"
    if delivery_status is not None and delivery_status not in DELIVERY_STATUSES:
        raise ValueError(f"delivery status is one of {DELIVERY_STATUSES}, not {delivery_status!r}")
    t = now()
    result = conn.execute(
        case_messages.insert().values(
            case_id=case_id, created_at=t, direction=direction, text=text, staff_id=staff_id,
            delivery_status=delivery_status, delivery_reason=delivery_reason,
            delivery_updated_at=t if delivery_status else None,
        )
    )
    conn.execute(cases.update().where(cases.c.id == case_id).values(updated_at=t))
    return int(result.inserted_primary_key[0])


@_tx
def set_delivery(conn: Connection, message_id: int, status: str, reason: Optional[str] = None,
                 platform_message_id: Optional[str] = None) -> None:
    """Record what the channel said of a message: sent, delivered, or undeliverable with a reason."""
    if status not in DELIVERY_STATUSES:
        raise ValueError(f"delivery status is one of {DELIVERY_STATUSES}, not {status!r}")
    values: Dict[str, Any] = {"delivery_status": status, "delivery_reason": reason, "delivery_updated_at": now()}
    if platform_message_id is not None:
        values["platform_message_id"] = str(platform_message_id)[:64]
    updated = conn.execute(
        case_messages.update().where(case_messages.c.id == message_id).values(**values)
    ).rowcount
    if not updated:
        raise LookupError(f"no message {message_id}")


@_tx
def messages(conn: Connection, case_id: int) -> List[dict]:
    q = select(case_messages).where(case_messages.c.case_id == case_id).order_by(case_messages.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def add_note(conn: Connection, case_id: int, staff_id: Optional[int], text: str) -> int:
    """An internal note: staff only, never sent to the user."""
    result = conn.execute(case_notes.insert().values(case_id=case_id, staff_id=staff_id, created_at=now(), text=text))
    audit(conn, "note_added", case_id=case_id, staff_id=staff_id)
    return int(result.inserted_primary_key[0])


@_tx
def notes(conn: Connection, case_id: int) -> List[dict]:
    q = select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


# --- assignment, referral, rating -------------------------------------------------------------------------


@_tx
def assign(conn: Connection, case_id: int, staff_id: int, *, by: Optional[int] = None) -> int:
    """Assign the case to an officer (kept as history in case_assignments; the case holds the current one)."""
    t = now()
    result = conn.execute(case_assignments.insert().values(case_id=case_id, staff_id=staff_id, assigned_by=by, created_at=t))
    conn.execute(cases.update().where(cases.c.id == case_id).values(assigned_staff_id=staff_id, updated_at=t))
    audit(conn, "assigned", case_id=case_id, staff_id=by, detail={"to": staff_id})
    return int(result.inserted_primary_key[0])


@_tx
def assignments(conn: Connection, case_id: int) -> List[dict]:
    q = select(case_assignments).where(case_assignments.c.case_id == case_id).order_by(case_assignments.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def add_referral(
    conn: Connection,
    case_id: Optional[int],
    organisation: str,
    *,
    kind: Optional[str] = None,
    province: Optional[str] = None,
    topic: Optional[str] = None,
    sent_text: Optional[str] = None,
    staff_id: Optional[int] = None,
) -> int:
    """Record an escalation: to which organisation, what was sent. (Setting the case "escalated" is
    `set_status`'s.)"""
    result = conn.execute(
        case_referrals.insert().values(
            case_id=case_id, created_at=now(), organisation=organisation, kind=kind, province=province,
            topic=topic, sent_text=sent_text, staff_id=staff_id,
        )
    )
    audit(conn, "referral_recorded", case_id=case_id, staff_id=staff_id, detail={"organisation": organisation, "kind": kind})
    return int(result.inserted_primary_key[0])


@_tx
def referrals(conn: Connection, case_id: int) -> List[dict]:
    q = select(case_referrals).where(case_referrals.c.case_id == case_id).order_by(case_referrals.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def rate(conn: Connection, case_id: int, score: int, comment: Optional[str] = None) -> None:
    """The user's 1–5 rating of a case (a second rating replaces the first)."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValueError("a rating is a whole number from 1 to 5")
    values = dict(score=score, comment=comment, created_at=now())
    if not conn.execute(case_ratings.update().where(case_ratings.c.case_id == case_id).values(**values)).rowcount:
        conn.execute(case_ratings.insert().values(case_id=case_id, **values))
    audit(conn, "rated", case_id=case_id, actor="user", detail={"score": score})


@_tx
def rating(conn: Connection, case_id: int) -> Optional[dict]:
    row = conn.execute(select(case_ratings).where(case_ratings.c.case_id == case_id)).mappings().first()
    return dict(row) if row else None


# --- audit log --------------------------------------------------------------------------------------------


@_tx
def audit(
    conn: Connection,
    action: str,
    *,
    case_id: Optional[int] = None,
    staff_id: Optional[int] = None,
    actor: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
) -> int:
    """One audit entry. `actor` defaults to "staff" when a staff id is given, else "system". Put no personal
    data in `detail`."""
    result = conn.execute(
        audit_log.insert().values(
            created_at=now(), actor=actor or ("staff" if staff_id is not None else "system"),
            staff_id=staff_id, case_id=case_id, action=action, detail=detail,
        )
    )
    return int(result.inserted_primary_key[0])


@_tx
def audit_entries(conn: Connection, *, case_id: Optional[int] = None, action: Optional[str] = None, limit: int = 500) -> List[dict]:
    q = select(audit_log)
    if case_id is not None:
        q = q.where(audit_log.c.case_id == case_id)
    if action is not None:
        q = q.where(audit_log.c.action == action)
    return [dict(r) for r in conn.execute(q.order_by(audit_log.c.id).limit(limit)).mappings()]


# --- erasure ----------------------------------------------------------------------------------------------


def _scrub(text: Optional[str], contact: Optional[str]) -> Optional[str]:
    if text and contact and contact.strip():
        text = text.replace(contact.strip(), "[đã xoá]")
    return mask(text)


@_tx
def erase_case(conn: Connection, case_id: int, *, staff_id: Optional[int] = None, actor: Optional[str] = None) -> None:
    """The person asked to erase their data: clear the sender id, its hash, the contact and the gathered
    facts; mask personal numbers (and the contact) in the summary, description, messages, notes and the
    referral records, which stay. Consent records stay as proof (Law 91/2025/QH15)."""
    case = _row(conn, cases, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    contact = case["contact"]
    conn.execute(
        cases.update().where(cases.c.id == case_id).values(
            sender_id=None, sender_hash=None, contact=None, facts=None,
            summary=_scrub(case["summary"], contact), description=_scrub(case["description"], contact),
            erased_at=now(), updated_at=now(),
        )
    )
    for table, column in ((case_messages, "text"), (case_notes, "text"), (case_referrals, "sent_text")):
        for row in conn.execute(select(table.c.id, table.c[column]).where(table.c.case_id == case_id)).all():
            scrubbed = _scrub(row[1], contact)
            if scrubbed != row[1]:
                conn.execute(table.update().where(table.c.id == row[0]).values({column: scrubbed}))
    audit(conn, "case_erased", case_id=case_id, staff_id=staff_id, actor=actor or ("staff" if staff_id else "user"))


# --- staff accounts ---------------------------------------------------------------------------------------

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_role(role: str, province: Optional[str]) -> None:
    if role not in ROLES:
        raise ValueError(f"role is one of {ROLES}, not {role!r}")
    if role == "officer" and not province:
        raise ValueError("an officer needs a province")


@_tx
def create_staff(
    conn: Connection,
    username: str,
    password: str,
    role: str,
    *,
    province: Optional[str] = None,
    display_name: Optional[str] = None,
    by: Optional[int] = None,
) -> int:
    _check_role(role, province)
    if not password:
        raise ValueError("empty password")
    t = now()
    result = conn.execute(
        staff_accounts.insert().values(
            username=username.strip().lower(), password_hash=hash_password(password), role=role,
            province=province, display_name=display_name, active=True, created_at=t, updated_at=t,
        )
    )
    staff_id = int(result.inserted_primary_key[0])
    audit(conn, "staff_created", staff_id=by, actor="staff" if by else "system", detail={"account": staff_id, "role": role})
    return staff_id


@_tx
def get_staff(conn: Connection, staff_id: int) -> Optional[dict]:
    return _row(conn, staff_accounts, staff_id)


@_tx
def staff_by_username(conn: Connection, username: str) -> Optional[dict]:
    row = conn.execute(select(staff_accounts).where(staff_accounts.c.username == username.strip().lower())).mappings().first()
    return dict(row) if row else None


@_tx
def authenticate(conn: Connection, username: str, password: str) -> Optional[dict]:
    """The active account whose password this is, else None (unknown, inactive or wrong password). Rehashes a
    hash made with older argon2 parameters. Does not record the attempt: `record_login_attempt` does."""
    staff = staff_by_username(conn, username)
    if staff is None:
        _hasher.hash(password)  # about the same time as a real check: no hint that the name is unknown
        return None
    if not verify_password(staff["password_hash"], password) or not staff["active"]:
        return None
    if _hasher.check_needs_rehash(staff["password_hash"]):
        conn.execute(staff_accounts.update().where(staff_accounts.c.id == staff["id"]).values(password_hash=hash_password(password)))
    return staff


@_tx
def set_password(conn: Connection, staff_id: int, password: str, *, by: Optional[int] = None) -> None:
    """Reset a password; ends the account's sessions."""
    if not password:
        raise ValueError("empty password")
    t = now()
    conn.execute(staff_accounts.update().where(staff_accounts.c.id == staff_id).values(password_hash=hash_password(password), updated_at=t))
    conn.execute(staff_sessions.update().where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.revoked_at.is_(None)).values(revoked_at=t))
    audit(conn, "password_reset", staff_id=by, actor="staff" if by else "system", detail={"account": staff_id})


@_tx
def set_active(conn: Connection, staff_id: int, active: bool, *, by: Optional[int] = None) -> None:
    """Deactivate (ending the account's sessions) or reactivate an account."""
    t = now()
    conn.execute(staff_accounts.update().where(staff_accounts.c.id == staff_id).values(active=active, updated_at=t))
    if not active:
        conn.execute(staff_sessions.update().where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.revoked_at.is_(None)).values(revoked_at=t))
    audit(conn, "staff_activated" if active else "staff_deactivated", staff_id=by, actor="staff" if by else "system", detail={"account": staff_id})


@_tx
def list_staff(conn: Connection, *, province: Optional[str] = None, active_only: bool = False) -> List[dict]:
    q = select(staff_accounts)
    if province is not None:
        q = q.where(staff_accounts.c.province == province)
    if active_only:
        q = q.where(staff_accounts.c.active.is_(True))
    return [dict(r) for r in conn.execute(q.order_by(staff_accounts.c.username)).mappings()]


# --- login sessions and attempts --------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@_tx
def create_session(conn: Connection, staff_id: int, ttl: dt.timedelta = dt.timedelta(hours=8)) -> str:
    """A new login session; returns the opaque token for the cookie (only its sha256 is stored)."""
    token = secrets.token_urlsafe(32)
    t = now()
    conn.execute(staff_sessions.insert().values(token_hash=token_hash(token), staff_id=staff_id, created_at=t, expires_at=t + ttl, last_seen_at=t))
    return token


@_tx
def session_staff(conn: Connection, token: str) -> Optional[dict]:
    """The active account of an unexpired, unrevoked session, else None; marks the session as seen."""
    if not token:
        return None
    t = now()
    row = conn.execute(
        select(staff_sessions.c.id.label("session_id"), staff_accounts)
        .join(staff_accounts, staff_accounts.c.id == staff_sessions.c.staff_id)
        .where(
            staff_sessions.c.token_hash == token_hash(token),
            staff_sessions.c.revoked_at.is_(None),
            staff_sessions.c.expires_at > t,
            staff_accounts.c.active.is_(True),
        )
    ).mappings().first()
    if row is None:
        return None
    conn.execute(staff_sessions.update().where(staff_sessions.c.id == row["session_id"]).values(last_seen_at=t))
    return dict(row)


@_tx
def end_session(conn: Connection, token: str) -> None:
    conn.execute(staff_sessions.update().where(staff_sessions.c.token_hash == token_hash(token)).values(revoked_at=now()))


@_tx
def record_login_attempt(conn: Connection, username: str, remote_addr: Optional[str], succeeded: bool) -> None:
    conn.execute(login_attempts.insert().values(created_at=now(), username=username.strip().lower(), remote_addr=remote_addr, succeeded=succeeded))


@_tx
def recent_failures(
    conn: Connection,
    *,
    username: Optional[str] = None,
    remote_addr: Optional[str] = None,
    window: dt.timedelta = dt.timedelta(minutes=15),
) -> int:
    """Failed logins for this username or from this address within `window` (for throttling)."""
    conditions = []
    if username is not None:
        conditions.append(login_attempts.c.username == username.strip().lower())
    if remote_addr is not None:
        conditions.append(login_attempts.c.remote_addr == remote_addr)
    if not conditions:
        raise ValueError("give a username or an address")
    q = select(func.count()).select_from(login_attempts).where(
        and_(*conditions), login_attempts.c.succeeded.is_(False), login_attempts.c.created_at > now() - window
    )
    return int(conn.execute(q).scalar_one())


# --- consents ---------------------------------------------------------------------------------------------


@_tx
def record_consent(
    conn: Connection,
    sender_id: str,
    purpose: str,
    channel: Optional[str],
    wording: str,
    *,
    granted: bool = True,
    case_id: Optional[int] = None,
) -> int:
    """What the person agreed to (or declined: granted=False), when, through which channel, with the exact
    wording they were shown."""
    result = conn.execute(
        consents.insert().values(
            sender_hash=sender_hash(sender_id), case_id=case_id, purpose=purpose, granted=granted,
            channel=channel or "unknown", wording=wording, created_at=now(),
        )
    )
    audit(conn, "consent_granted" if granted else "consent_declined", case_id=case_id, actor="user", detail={"purpose": purpose})
    return int(result.inserted_primary_key[0])


@_tx
def withdraw_consent(conn: Connection, sender_id: str, purpose: str) -> int:
    """Withdraw the person's standing consents for `purpose`; returns how many were withdrawn."""
    n = conn.execute(
        consents.update()
        .where(consents.c.sender_hash == sender_hash(sender_id), consents.c.purpose == purpose,
               consents.c.granted.is_(True), consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now())
    ).rowcount
    if n:
        audit(conn, "consent_withdrawn", actor="user", detail={"purpose": purpose})
    return n


@_tx
def has_consent(conn: Connection, sender_id: str, purpose: str) -> bool:
    q = select(func.count()).select_from(consents).where(
        consents.c.sender_hash == sender_hash(sender_id), consents.c.purpose == purpose,
        consents.c.granted.is_(True), consents.c.withdrawn_at.is_(None),
    )
    return bool(conn.execute(q).scalar_one())


@_tx
def consents_of(conn: Connection, sender_id: str) -> List[dict]:
    q = select(consents).where(consents.c.sender_hash == sender_hash(sender_id)).order_by(consents.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]
