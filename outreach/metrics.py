"""The programme dashboard's figures: aggregate, anonymous counts over two databases, as plain data (lists of
dicts, ints). No personal data leaves these functions: no sender id, text, contact or hash.

* **Conversations** come from Rasa's event broker (endpoints.yml ``event_broker``: Rasa's SQLEventBroker, a table
  ``events`` with ``id``, ``sender_id`` and ``data``, the JSON of each event), read from ``ANSINH_EVENTS_URL``
  (the console's ``Settings.events_url``). One pass over the rows in id order, so it works on SQLite and
  PostgreSQL alike (the JSON is read here, not with a dialect's JSON functions):

  - a *conversation* is a Rasa session (from a ``session_started`` event, or the sender's first event) with at
    least one user message; its week and channel are those of its first user message (``input_channel``), its
    province the last one known in the ``state`` slot (actions/state.py) by the end of it;
  - a *topic* counts once per conversation in which the state's ``topic`` became it after a user message (or the
    user's intent was that topic again);
  - a *calculation* is a state whose ``last_calc``/``last_inputs`` differ from the state before; a *referral*
    a state whose ``last`` answer became ``referral`` (with its ``problem`` and ``province``);
  - messages Rasa's API triggered (``EXTERNAL: ...``) are not the user's.

* **Cases, ratings, reminders, subscriptions** come from the case database (cases/schema.py).

Weeks start on Monday and days are Vietnam days (UTC+7). A period is a span of Vietnam days, both ends included.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, func, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from cases.repository import pseudonym
from cases.schema import (
    OUTREACH_STATUSES,
    case_messages,
    case_ratings,
    case_referrals,
    cases,
    outreach_deliveries,
    subscriptions,
)

log = logging.getLogger(__name__)
VN = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")
EXTERNAL_PREFIX = "EXTERNAL: "  # actions/actions.py: an intent triggered through Rasa's API
STATE_SLOT = "state"
VSI_CALCULATOR = "vsi"
REGISTRATION_PROBLEM = "insurance"  # referred to the social-insurance office: where voluntary SI is registered
UNEMPLOYMENT_PROBLEM = "unemployment"  # referred to the employment service centre
UNKNOWN = ""  # an unknown channel or province in the tables (the console shows it as "Chưa rõ")

_events_meta = MetaData()
# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py).
events_table = Table("events", _events_meta, Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                     Column("data", Text))


# --- periods ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date  # Vietnam days, both included
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def utc_start(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), VN).astimezone(dt.timezone.utc).replace(tzinfo=None)

    @property
    def utc_end(self) -> dt.datetime:
        """The first moment after the period (naive UTC)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), VN).astimezone(dt.timezone.utc).replace(tzinfo=None)

    def weeks(self) -> List[dt.date]:
        first, out = week_of(self.start), []
        while first <= self.end:
            out.append(first)
            first += dt.timedelta(days=7)
        return out

    def months(self) -> List[str]:
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(month_of(day))
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return out


def last_weeks(today: dt.date, weeks: int = 12) -> Period:
    """The ``weeks`` weeks up to ``today`` (the first one from its Monday)."""
    return Period(week_of(today) - dt.timedelta(weeks=weeks - 1), today)


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def vn_day(moment: Any) -> Optional[dt.date]:
    """The Vietnam day of an epoch timestamp (Rasa's events) or a naive UTC datetime (the case database)."""
    if moment is None:
        return None
    if isinstance(moment, (int, float)):
        return dt.datetime.fromtimestamp(moment, VN).date()
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(VN).date()
    return None


# --- the events database ----------------------------------------------------------------------------------

_engines: Dict[str, Engine] = {}


def open_events(url: Optional[str]) -> Optional[Engine]:
    """An engine on Rasa's event-broker database, or None when there is none yet (a SQLite file that does not
    exist is not created; a database without the ``events`` table is none either)."""
    if not url:
        return None
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a wrong URL is "no data", logged
        log.warning("ANSINH_EVENTS_URL is not a database URL")
        return None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
    eng = _engines.get(url)
    if eng is None:
        eng = _engines[url] = create_engine(url, future=True, pool_pre_ping=True)
    try:
        if not inspect(eng).has_table("events"):
            return None
    except SQLAlchemyError as err:
        log.warning("events database unreadable: %s", type(err).__name__)
        return None
    return eng


def newest_event(events: Engine) -> int:
    """The id of the newest event (0 when none): the stream only grows, so figures computed at this id stand."""
    with events.connect() as conn:
        return int(conn.execute(select(func.max(events_table.c.id))).scalar() or 0)


def _rows(events: Engine, batch: int = 2000) -> Iterator[Tuple[Optional[str], dict]]:
    """(sender_id, event) in id order, in batches (a long table is never loaded at once)."""
    last = 0
    with events.connect() as conn:
        while True:
            rows = conn.execute(select(events_table.c.id, events_table.c.sender_id, events_table.c.data)
                                .where(events_table.c.id > last).order_by(events_table.c.id).limit(batch)).all()
            if not rows:
                return
            for row_id, sender, data in rows:
                last = row_id
                try:
                    event = json.loads(data) if data else None
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield sender or event.get("sender_id"), event


@dataclass
class _Session:
    week: dt.date
    month: str
    channel: str
    province: Optional[str]


@dataclass
class _Sender:
    session: int = 0
    session_province: Optional[str] = None
    state: Dict[str, Any] = field(default_factory=dict)
    awaiting_state: bool = False  # a user message came; the next state is the answer to it
    intent: Optional[str] = None
    counted: bool = False  # the user's message was in the period
    day: Optional[dt.date] = None
    last_calc_at: Optional[float] = None
    last_vsi_calc_at: Optional[float] = None


@dataclass
class EventFigures:
    """What the event stream says about a period (all counts; no ids)."""

    conversations_by_week_channel: List[dict]  # week, channel, conversations, users
    conversations_by_week_province: List[dict]  # week, province, conversations, users
    topics: List[dict]  # topic, conversations
    calculators: List[dict]  # calculator, uses, users
    referrals: List[dict]  # month, province, problem, people, after_vsi (people referred after a VSI calculation)
    funnel: Dict[str, int]  # asked, calculated, referred, subscribed
    totals: Dict[str, int]  # conversations, users, user_messages
    _referred_senders: Set[str] = field(default_factory=set, repr=False)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def event_figures(events: Engine, period: Period, topic_keys: Optional[Iterable[str]] = None) -> EventFigures:
    """One pass over Rasa's events (see the module's docstring). ``topic_keys``: the registry's topics (an
    intent that is one counts as asking it again)."""
    topic_keys = set(topic_keys or ())
    senders: Dict[str, _Sender] = defaultdict(_Sender)
    sessions: Dict[Tuple[str, int], _Session] = {}
    week_channel_users: Dict[Tuple[dt.date, str], Set[str]] = defaultdict(set)
    topics_seen: Set[Tuple[str, int, str]] = set()
    calc_uses: Dict[str, int] = defaultdict(int)
    calc_users: Dict[str, Set[str]] = defaultdict(set)
    referral_people: Dict[Tuple[str, str, str], Set[str]] = defaultdict(set)
    referral_after_vsi: Dict[Tuple[str, str, str], Set[str]] = defaultdict(set)
    asked: Set[str] = set()
    calculated: Set[str] = set()
    referred_after_calc: Set[str] = set()
    user_messages = 0

    for sender_id, e in _rows(events):
        if not sender_id:
            continue
        s = senders[sender_id]
        kind = e.get("event")
        ts = e.get("timestamp")
        day = vn_day(ts) if isinstance(ts, (int, float)) else None
        if kind == "session_started":
            s.session += 1
            s.awaiting_state = False
            continue
        if kind == "restart":
            s.state, s.awaiting_state = {}, False
            continue
        if kind == "user":
            if (e.get("text") or "").startswith(EXTERNAL_PREFIX):
                continue
            s.awaiting_state = True
            s.intent = ((e.get("parse_data") or {}).get("intent") or {}).get("name")
            s.counted = day is not None and day in period
            s.day = day
            if not s.counted:
                continue
            user_messages += 1
            asked.add(sender_id)
            key = (sender_id, s.session)
            channel = (e.get("input_channel") or UNKNOWN)[:32]
            if key not in sessions:
                sessions[key] = _Session(week_of(day), month_of(day), channel, s.state.get("province"))
            week_channel_users[(week_of(day), channel)].add(sender_id)
            continue
        if kind == "slot" and e.get("name") == STATE_SLOT:
            value = e.get("value") if isinstance(e.get("value"), dict) else {}
            before, s.state = s.state, value
            session = sessions.get((sender_id, s.session))
            if session is not None and value.get("province"):
                session.province = value["province"]
            if not s.awaiting_state:
                continue  # a state carried into a new session, or set without a message: nothing asked
            s.awaiting_state = False
            if not s.counted:
                # Outside the period: only what is needed to tell a referral after a calculation.
                if value.get("last_calc") and not (_same(value.get("last_calc"), before.get("last_calc"))
                                                   and _same(value.get("last_inputs"), before.get("last_inputs"))):
                    s.last_calc_at = ts
                    if value.get("last_calc") == VSI_CALCULATOR:
                        s.last_vsi_calc_at = ts
                continue
            topic = value.get("topic")
            if topic and (topic != before.get("topic") or topic == s.intent):
                topics_seen.add((sender_id, s.session, topic))
            calc = value.get("last_calc")
            if calc and not (calc == before.get("last_calc") and _same(value.get("last_inputs"), before.get("last_inputs"))):
                calc_uses[calc] += 1
                calc_users[calc].add(sender_id)
                calculated.add(sender_id)
                s.last_calc_at = ts
                if calc == VSI_CALCULATOR:
                    s.last_vsi_calc_at = ts
            last = value.get("last") if isinstance(value.get("last"), dict) else {}
            if last.get("entry") == "referral" and not _same(last, before.get("last")):
                inputs = last.get("inputs") or {}
                problem, province = str(inputs.get("problem") or UNKNOWN), str(inputs.get("province") or UNKNOWN)
                key3 = (s.day and month_of(s.day) or UNKNOWN, province, problem)
                referral_people[key3].add(sender_id)
                if s.last_vsi_calc_at is not None:
                    referral_after_vsi[key3].add(sender_id)
                if s.last_calc_at is not None and sender_id in calculated:
                    referred_after_calc.add(sender_id)

    conv_wc: Dict[Tuple[dt.date, str], int] = defaultdict(int)
    conv_wp: Dict[Tuple[dt.date, str], int] = defaultdict(int)
    users_wp: Dict[Tuple[dt.date, str], Set[str]] = defaultdict(set)
    for (sender_id, _n), sess in sessions.items():
        conv_wc[(sess.week, sess.channel)] += 1
        province = sess.province or UNKNOWN
        conv_wp[(sess.week, province)] += 1
        users_wp[(sess.week, province)].add(sender_id)
    topic_counts: Dict[str, int] = defaultdict(int)
    for _sender, _n, topic in topics_seen:
        topic_counts[topic] += 1

    return EventFigures(
        conversations_by_week_channel=[
            {"week": w, "channel": c, "conversations": n, "users": len(week_channel_users[(w, c)])}
            for (w, c), n in sorted(conv_wc.items())],
        conversations_by_week_province=[
            {"week": w, "province": p, "conversations": n, "users": len(users_wp[(w, p)])}
            for (w, p), n in sorted(conv_wp.items())],
        topics=[{"topic": t, "conversations": n} for t, n in sorted(topic_counts.items(), key=lambda kv: (-kv[1], kv[0]))],
        calculators=[{"calculator": c, "uses": n, "users": len(calc_users[c])}
                     for c, n in sorted(calc_uses.items(), key=lambda kv: (-kv[1], kv[0]))],
        referrals=[{"month": m, "province": p, "problem": k, "people": len(people),
                    "after_vsi": len(referral_after_vsi.get((m, p, k), ()))}
                   for (m, p, k), people in sorted(referral_people.items())],
        funnel={"asked": len(asked), "calculated": len(calculated & asked), "referred": len(referred_after_calc), "subscribed": 0},
        totals={"conversations": len(sessions), "users": len(asked), "user_messages": user_messages},
        _referred_senders=referred_after_calc,
    )


def with_subscriptions(figures: EventFigures, eng: Engine, period: Period) -> EventFigures:
    """The funnel's last step: of the people referred after a calculation, those with a subscription made by the
    end of the period (matched by the sender hash, as cases.repository makes it; nothing else is read)."""
    hashes = sorted({pseudonym(s) for s in figures._referred_senders})
    found: Set[str] = set()
    with eng.connect() as conn:
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            found |= {r[0] for r in conn.execute(select(subscriptions.c.sender_hash).where(
                subscriptions.c.sender_hash.in_(chunk), subscriptions.c.created_at < period.utc_end).distinct())}
    figures.funnel["subscribed"] = len(found)
    return figures


# --- the case database --------------------------------------------------------------------------------------


def _minutes(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 60


def _spread(values: List[float]) -> Dict[str, Optional[int]]:
    if not values:
        return {"count": 0, "median_minutes": None, "mean_minutes": None}
    return {"count": len(values), "median_minutes": int(round(statistics.median(values))),
            "mean_minutes": int(round(statistics.fmean(values)))}


def case_figures(eng: Engine, period: Period) -> Dict[str, Any]:
    """Cases opened and resolved by week; time to the first staff reply (cases opened in the period) and to
    resolution by staff (cases resolved in the period); ratings given in the period."""
    lo, hi = period.utc_start, period.utc_end
    first_reply = (select(case_messages.c.case_id, func.min(case_messages.c.created_at).label("first_reply"))
                   .where(case_messages.c.direction == "staff").group_by(case_messages.c.case_id).subquery())
    with eng.connect() as conn:
        opened = conn.execute(
            select(cases.c.created_at, first_reply.c.first_reply)
            .select_from(cases.outerjoin(first_reply, first_reply.c.case_id == cases.c.id))
            .where(cases.c.created_at >= lo, cases.c.created_at < hi)).all()
        closed = conn.execute(
            select(cases.c.created_at, cases.c.resolved_at, cases.c.closed_reason)
            .where(cases.c.status == "resolved", cases.c.resolved_at >= lo, cases.c.resolved_at < hi)).all()
        ratings = conn.execute(select(case_ratings.c.score, func.count())
                               .where(case_ratings.c.created_at >= lo, case_ratings.c.created_at < hi)
                               .group_by(case_ratings.c.score)).all()
        escalations = conn.execute(select(case_referrals.c.created_at, case_referrals.c.kind)
                                   .where(case_referrals.c.created_at >= lo, case_referrals.c.created_at < hi)).all()
    weeks: Dict[dt.date, Dict[str, int]] = {w: {"opened": 0, "resolved": 0, "withdrawn": 0} for w in period.weeks()}
    months: Dict[str, Dict[str, int]] = {m: {"resolved": 0, "legal_aid": 0, "labour_federation": 0} for m in period.months()}
    replies = []
    for created, reply in opened:
        weeks[week_of(vn_day(created))]["opened"] += 1
        if reply is not None:
            replies.append(_minutes(created, reply))
    resolutions = []
    for created, resolved, reason in closed:
        day = vn_day(resolved)
        if reason == "withdrawn":
            weeks[week_of(day)]["withdrawn"] += 1
            continue
        weeks[week_of(day)]["resolved"] += 1
        months[month_of(day)]["resolved"] += 1
        resolutions.append(_minutes(created, resolved))
    for created, kind in escalations:
        if kind in ("legal_aid", "labour_federation"):
            months[month_of(vn_day(created))][kind] += 1
    scores = {n: 0 for n in range(1, 6)}
    for score, n in ratings:
        scores[int(score)] = int(n)
    rated = sum(scores.values())
    return {
        "by_week": [{"week": w, **v} for w, v in sorted(weeks.items())],
        "by_month": [{"month": m, **v} for m, v in sorted(months.items())],
        "first_reply": _spread(replies),
        "resolution": _spread(resolutions),
        "unanswered": sum(1 for _c, r in opened if r is None),
        "ratings": [{"score": s, "count": n} for s, n in sorted(scores.items())],
        "rating_count": rated,
        "rating_mean": round(sum(s * n for s, n in scores.items()) / rated, 1) if rated else None,
        "totals": {"opened": len(opened), "resolved": len(resolutions),
                   "withdrawn": sum(1 for r in closed if r[2] == "withdrawn")},
    }


def outreach_figures(eng: Engine, period: Period) -> Dict[str, Any]:
    """Reminders and campaign messages by status and week (tests in the console left out); subscriptions made and
    opt-outs (``end_reason = 'user'``) by week and kind; active subscriptions by kind and channel now."""
    lo, hi = period.utc_start, period.utc_end
    d = outreach_deliveries.c
    s = subscriptions.c
    with eng.connect() as conn:
        deliveries = conn.execute(select(d.created_at, d.campaign_id, d.status)
                                  .where(d.created_at >= lo, d.created_at < hi, ~d.key.like("test:%"))).all()
        made = conn.execute(select(s.created_at, s.kind).where(s.created_at >= lo, s.created_at < hi)).all()
        ended = conn.execute(select(s.ended_at, s.kind).where(s.end_reason == "user", s.ended_at >= lo, s.ended_at < hi)).all()
        active = conn.execute(select(s.kind, s.channel, func.count()).where(s.active.is_(True))
                              .group_by(s.kind, s.channel)).all()
    by_status = {"reminder": {k: 0 for k in OUTREACH_STATUSES}, "campaign": {k: 0 for k in OUTREACH_STATUSES}}
    by_week: Dict[dt.date, Dict[str, int]] = {w: {"attempted": 0, "delivered": 0, "sent": 0, "undeliverable": 0}
                                              for w in period.weeks()}
    for created, campaign_id, status in deliveries:
        by_status["campaign" if campaign_id is not None else "reminder"][status] += 1
        if status in ("delivered", "sent", "undeliverable"):
            row = by_week[week_of(vn_day(created))]
            row["attempted"] += 1
            row[status] += 1
    subs: Dict[Tuple[dt.date, str], Dict[str, int]] = {}
    for created, kind in made:
        subs.setdefault((week_of(vn_day(created)), kind), {"subscribed": 0, "opted_out": 0})["subscribed"] += 1
    for ended_at, kind in ended:
        subs.setdefault((week_of(vn_day(ended_at)), kind), {"subscribed": 0, "opted_out": 0})["opted_out"] += 1
    return {
        "by_status": [{"type": t, **counts} for t, counts in by_status.items()],
        "by_week": [{"week": w, **v} for w, v in sorted(by_week.items())],
        "subscriptions_by_week": [{"week": w, "kind": k, **v} for (w, k), v in sorted(subs.items())],
        "active": [{"kind": k, "channel": c, "count": int(n)} for k, c, n in sorted(active)],
        "totals": {"opt_outs": len(ended), "subscribed": len(made), "active": sum(int(n) for _k, _c, n in active)},
    }


# --- Decision 176 ---------------------------------------------------------------------------------------------

DECISION = "Quyết định 176/QĐ-TTg ngày 05/02/2021 (Chương trình hỗ trợ phát triển thị trường lao động đến năm 2030)"
DECISION_SHORT = "Quyết định 176/QĐ-TTg"

# The targets of Decision 176 the assistant contributes to (../shared/decision-176-targets.md), as written in the
# decision: national targets, never the assistant's. ``figure``: which of the assistant's own figures stands beside.
TARGETS: Tuple[Dict[str, str], ...] = (
    {"id": "vsi", "section": "mục II.2, điểm d",
     "target": "Nông dân và lao động khu vực phi chính thức tham gia BHXH tự nguyện",
     "goal_2025": "khoảng 2,5% lực lượng lao động", "goal_2030": "khoảng 5% lực lượng lao động",
     "figure": "vsi_referrals"},
    {"id": "si", "section": "mục II.2, điểm d",
     "target": "Lực lượng lao động trong độ tuổi tham gia BHXH",
     "goal_2025": "45%", "goal_2030": "60%",
     "figure": "insurance"},
    {"id": "esc", "section": "mục II.2, điểm đ",
     "target": "Người lao động được tư vấn, giới thiệu việc làm qua Trung tâm dịch vụ việc làm",
     "goal_2025": "40%", "goal_2030": "45%",
     "figure": "unemployment"},
    {"id": "legal", "section": "mục III.4, điểm c",
     "target": "Cơ chế cung cấp thông tin, dịch vụ tư vấn pháp lý để người lao động tham vấn khi cần",
     "goal_2025": "nhiệm vụ (không có chỉ tiêu số)", "goal_2030": "nhiệm vụ (không có chỉ tiêu số)",
     "figure": "legal"},
)


def target_figures(events: Optional[EventFigures], cases_: Mapping[str, Any], outreach: Mapping[str, Any]) -> Dict[str, Any]:
    """The assistant's own figures beside each target: people referred to a registration point (the social-
    insurance office) after a voluntary-SI calculation, by province and month; everyone referred to the social-
    insurance office; people referred to the employment service centre; cases resolved by staff and escalations
    to legal aid. ``None`` for a figure whose source (the event stream) is missing."""
    def by_month_province(problem: str, column: str) -> List[dict]:
        rows: Dict[Tuple[str, str], int] = defaultdict(int)
        for r in (events.referrals if events else ()):
            if r["problem"] == problem and r[column]:
                rows[(r["month"], r["province"])] += r[column]
        return [{"month": m, "province": p, "people": n} for (m, p), n in sorted(rows.items())]

    vsi = by_month_province(REGISTRATION_PROBLEM, "after_vsi")
    insurance = by_month_province(REGISTRATION_PROBLEM, "people")
    unemployment = by_month_province(UNEMPLOYMENT_PROBLEM, "people")
    active = {r["kind"]: 0 for r in outreach.get("active", ())}
    for r in outreach.get("active", ()):
        active[r["kind"]] += r["count"]
    legal = list(cases_["by_month"])
    return {
        "vsi_referrals": vsi, "insurance": insurance, "unemployment": unemployment, "legal": legal,
        "totals": {
            "vsi_referrals": sum(r["people"] for r in vsi) if events else None,
            "insurance": sum(r["people"] for r in insurance) if events else None,
            "unemployment": sum(r["people"] for r in unemployment) if events else None,
            "legal": sum(r["resolved"] for r in legal),
            "legal_aid": sum(r["legal_aid"] for r in legal),
            "vsi_reminders": active.get("vsi_payment", 0),
        },
    }
