"""Campaigns staff send to subscribed users (cases/schema.py ``campaigns``): a message, a segment, a time; and
the law-change notices drafted from knowledge/ for a supervisor to review.

    draft ──schedule──▶ scheduled ──mark("sending")──▶ sending ──mark("sent")──▶ sent
      │                     │
      └──────cancel─────────┴──▶ cancelled        (a campaign sending or sent cannot be cancelled: CampaignLocked)

A segment is a dict of some of ``province`` (the current unit's exact name), ``channel``, ``topic`` (a registry
key), ``group`` (farmer, informal, poor, near_poor ...) and ``kind`` (vsi_payment, hi_renewal, news); an empty
segment is every subscriber. Province, group and topic are facts a person let us keep for segments
(``segment_consent``): only subscriptions with that consent match them. A person subscribed twice in one
channel (payment reminders and news) is one recipient: the subscription with the lowest id stands for them.

Every status change and test is an audit entry (cases.repository.audit, no personal data). Functions take a
Connection or an Engine (``cases.repository._tx``); rows are dicts; times are naive UTC. No aiohttp here: the
console (channels/console/campaign_views.py) and the scheduler (outreach/scheduler.py) both use this module.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from cases.repository import _tx, audit, now
from cases.schema import SUBSCRIPTION_KINDS, campaigns, outreach_deliveries, subscriptions

log = logging.getLogger(__name__)

SEGMENT_KEYS = ("province", "channel", "topic", "group", "kind")
# Facts kept only with the person's consent for segments: a segment naming one reaches only those who gave it.
CONSENTED_KEYS = ("province", "group", "topic")
EDITABLE = ("draft",)
CANCELLABLE = ("draft", "scheduled")
# mark(): which status may become which (the scheduler's part of the life cycle).
MARK_FROM = {"sending": ("scheduled",), "sent": ("scheduled", "sending")}
TITLE_LIMIT = 255
TEXT_LIMIT = 4000  # what Rasa's relay takes in one message (channels/takeover.py MAX_TEXT)
TEST_CHANNEL = "console"
LAW_CHANGE = "law_change"
LAW_CHANGE_DAYS = 30
# What a message becomes in each channel (the limits of channels/telegram.py and channels/zalo.py, which import
# Rasa; tests/test_campaigns.py checks they agree).
TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000
ZALO_CHOOSE = "(Anh/chị trả lời bằng số để chọn.)"


class CampaignError(ValueError):
    """A campaign cannot be made or changed as asked."""


class InvalidCampaign(CampaignError):
    """Missing or wrong title, text, segment or time."""


class CampaignStateError(CampaignError):
    """The campaign's status does not allow this (e.g. editing a scheduled campaign)."""

    def __init__(self, message: str, status: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status


class CampaignLocked(CampaignStateError):
    """The campaign is being sent or was sent: it can no longer be cancelled."""


class NoSuchCampaign(LookupError):
    pass


# --- segments ---------------------------------------------------------------------------------------------


def clean_segment(segment: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """The segment with empty values dropped; InvalidCampaign for an unknown key or a wrong kind."""
    out: Dict[str, str] = {}
    for key, value in (segment or {}).items():
        if key not in SEGMENT_KEYS:
            raise InvalidCampaign(f"unknown segment key {key!r} (one of {', '.join(SEGMENT_KEYS)})")
        if value is None or str(value).strip() == "":
            continue
        out[key] = str(value).strip()
    if "kind" in out and out["kind"] not in SUBSCRIPTION_KINDS:
        raise InvalidCampaign(f"kind is one of {SUBSCRIPTION_KINDS}, not {out['kind']!r}")
    return out


def _segment_where(segment: Mapping[str, Any]) -> List[Any]:
    seg = clean_segment(segment)
    s = subscriptions.c
    where = [s.active.is_(True), s.sender_id.isnot(None)]
    for key in ("channel", "kind"):
        if key in seg:
            where.append(s[key] == seg[key])
    facts = [k for k in CONSENTED_KEYS if k in seg]
    if facts:
        where.append(s.segment_consent.is_(True))
        where += [s[k] == seg[k] for k in facts]
    return where


@_tx
def recipients(conn: Connection, segment: Optional[Mapping[str, Any]]) -> List[dict]:
    """The active subscriptions the segment reaches, one per person and channel (the lowest id), by id."""
    seen, out = set(), []
    q = select(subscriptions).where(and_(*_segment_where(segment or {}))).order_by(subscriptions.c.id)
    for row in conn.execute(q).mappings():
        who = (row["channel"], row["sender_id"])
        if who in seen:
            continue
        seen.add(who)
        out.append(dict(row))
    return out


@_tx
def count_recipients(conn: Connection, segment: Optional[Mapping[str, Any]]) -> int:
    """len(recipients(segment)), counted by the database."""
    people = (select(subscriptions.c.channel, subscriptions.c.sender_id)
              .where(and_(*_segment_where(segment or {}))).distinct().subquery())
    return int(conn.execute(select(func.count()).select_from(people)).scalar_one())


@_tx
def recipients_by_channel(conn: Connection, segment: Optional[Mapping[str, Any]]) -> Dict[str, int]:
    """How many of the recipients are in each channel (for the console: Zalo's window, the web's next visit)."""
    counts: Dict[str, int] = {}
    for r in recipients(conn, segment):
        counts[r["channel"]] = counts.get(r["channel"], 0) + 1
    return dict(sorted(counts.items()))


# --- campaigns --------------------------------------------------------------------------------------------


def _check_text(title: str, text: str) -> Tuple[str, str]:
    title, text = (title or "").strip(), (text or "").replace("\r\n", "\n").strip()
    if not title:
        raise InvalidCampaign("a campaign needs a title")
    if len(title) > TITLE_LIMIT:
        raise InvalidCampaign(f"the title is longer than {TITLE_LIMIT} characters")
    if not text:
        raise InvalidCampaign("a campaign needs a text")
    if len(text) > TEXT_LIMIT:
        raise InvalidCampaign(f"the text is longer than {TEXT_LIMIT} characters")
    return title, text


def _insert_new(conn: Connection, table, values: Dict[str, Any]) -> Optional[int]:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): the new row's id, None when a unique key
    already had one. No savepoint needed, so the caller's transaction survives a conflict."""
    if conn.dialect.name in ("sqlite", "postgresql"):
        if conn.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        result = conn.execute(insert(table).values(**values).on_conflict_do_nothing())
        return int(result.inserted_primary_key[0]) if result.rowcount else None
    result = conn.execute(table.insert().values(**values))  # another database: a conflict raises
    return int(result.inserted_primary_key[0])


def _get(conn: Connection, campaign_id: int) -> dict:
    row = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).mappings().first()
    if row is None:
        raise NoSuchCampaign(f"no campaign {campaign_id}")
    return dict(row)


@_tx
def get_campaign(conn: Connection, campaign_id: int) -> Optional[dict]:
    try:
        return _get(conn, campaign_id)
    except NoSuchCampaign:
        return None


@_tx
def list_campaigns(conn: Connection, *, statuses: Optional[Tuple[str, ...]] = None, limit: int = 200) -> List[dict]:
    """Campaigns, newest first."""
    q = select(campaigns)
    if statuses:
        q = q.where(campaigns.c.status.in_(statuses))
    return [dict(r) for r in conn.execute(q.order_by(campaigns.c.id.desc()).limit(limit)).mappings()]


@_tx
def create_campaign(conn: Connection, staff_id: Optional[int], title: str, text: str,
                    segment: Optional[Mapping[str, Any]] = None) -> int:
    """A new draft campaign; its id."""
    title, text = _check_text(title, text)
    seg = clean_segment(segment)
    result = conn.execute(campaigns.insert().values(
        created_at=now(), created_by=staff_id, title=title, text=text, segment=seg, status="draft", source="staff"))
    campaign_id = int(result.inserted_primary_key[0])
    audit(conn, "campaign_created", staff_id=staff_id, detail={"campaign": campaign_id, "segment": sorted(seg)})
    return campaign_id


@_tx
def edit_campaign(conn: Connection, campaign_id: int, title: str, text: str, segment: Optional[Mapping[str, Any]],
                  *, staff_id: Optional[int] = None) -> dict:
    """Change a draft's title, text and segment; CampaignStateError once it is scheduled or later."""
    title, text = _check_text(title, text)
    seg = clean_segment(segment)
    _get(conn, campaign_id)
    n = conn.execute(campaigns.update().where(campaigns.c.id == campaign_id, campaigns.c.status.in_(EDITABLE))
                     .values(title=title, text=text, segment=seg)).rowcount
    if not n:
        status = _get(conn, campaign_id)["status"]
        raise CampaignStateError(f"campaign {campaign_id} is {status}: only a draft can be edited", status)
    audit(conn, "campaign_edited", staff_id=staff_id, detail={"campaign": campaign_id, "segment": sorted(seg)})
    return _get(conn, campaign_id)


def _naive_utc(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return at


@_tx
def schedule(conn: Connection, campaign_id: int, at: dt.datetime, *, staff_id: Optional[int] = None,
             now_: Optional[dt.datetime] = None) -> dict:
    """Schedule a draft (or move a scheduled campaign's time) to ``at`` (naive UTC, or aware), which must be in
    the future; InvalidCampaign for a past time, CampaignStateError once it is sending, sent or cancelled."""
    at = _naive_utc(at)
    if at <= (now_ or now()):
        raise InvalidCampaign("the time to send must be in the future")
    before = _get(conn, campaign_id)
    n = conn.execute(campaigns.update()
                     .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(("draft", "scheduled")))
                     .values(status="scheduled", scheduled_at=at)).rowcount
    if not n:
        status = _get(conn, campaign_id)["status"]
        raise CampaignStateError(f"campaign {campaign_id} is {status}: it cannot be scheduled", status)
    audit(conn, "campaign_scheduled", staff_id=staff_id, detail={
        "campaign": campaign_id, "at": at.isoformat(timespec="minutes"), "rescheduled": before["status"] == "scheduled"})
    return _get(conn, campaign_id)


@_tx
def cancel(conn: Connection, campaign_id: int, *, staff_id: Optional[int] = None) -> dict:
    """Cancel a draft or a scheduled campaign (cancelling a cancelled one changes nothing). A campaign that is
    being sent or was sent raises CampaignLocked: what went out cannot be called back."""
    before = _get(conn, campaign_id)
    if before["status"] == "cancelled":
        return before
    n = conn.execute(campaigns.update()
                     .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(CANCELLABLE))
                     .values(status="cancelled", cancelled_at=now())).rowcount
    if not n:  # sending or sent (perhaps the scheduler took it just now)
        status = _get(conn, campaign_id)["status"]
        raise CampaignLocked(f"campaign {campaign_id} is {status}: it can no longer be cancelled", status)
    audit(conn, "campaign_cancelled", staff_id=staff_id, detail={"campaign": campaign_id, "was": before["status"]})
    return _get(conn, campaign_id)


@_tx
def due_campaigns(conn: Connection, at: dt.datetime) -> List[dict]:
    """Scheduled campaigns whose time has come (``scheduled_at <= at``), oldest first."""
    at = _naive_utc(at)
    q = (select(campaigns).where(campaigns.c.status == "scheduled", campaigns.c.scheduled_at <= at)
         .order_by(campaigns.c.scheduled_at, campaigns.c.id))
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def unfinished_campaigns(conn: Connection) -> List[dict]:
    """Campaigns left ``sending`` (a scheduler stopped while sending one): to finish, the deliveries' unique keys
    keeping anyone from getting it twice."""
    q = select(campaigns).where(campaigns.c.status == "sending").order_by(campaigns.c.scheduled_at, campaigns.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def mark(conn: Connection, campaign_id: int, status: str, recipients: Optional[int] = None) -> dict:
    """The scheduler's part: ``sending`` (from scheduled: claiming it, so two schedulers cannot both take it, and
    a campaign cancelled meanwhile is not sent) and ``sent`` (from sending or scheduled; again ``sent`` changes
    nothing). ``recipients``: how many it goes to. CampaignStateError when the status does not allow it."""
    if status not in MARK_FROM:
        raise ValueError(f"mark() sets one of {tuple(MARK_FROM)}, not {status!r} (see schedule() and cancel())")
    before = _get(conn, campaign_id)
    if status == "sent" and before["status"] == "sent":
        return before
    values: Dict[str, Any] = {"status": status}
    if recipients is not None:
        values["recipients"] = int(recipients)
    if status == "sent":
        values["sent_at"] = now()
    n = conn.execute(campaigns.update()
                     .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(MARK_FROM[status]))
                     .values(**values)).rowcount
    if not n:
        current = _get(conn, campaign_id)["status"]
        raise CampaignStateError(f"campaign {campaign_id} is {current}: it cannot become {status}", current)
    detail: Dict[str, Any] = {"campaign": campaign_id, "from": before["status"]}
    if recipients is not None:
        detail["recipients"] = int(recipients)
    audit(conn, f"campaign_{status}", actor="system", detail=detail)
    return _get(conn, campaign_id)


# --- what the user sees; tests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSplit:
    channel: str
    pieces: Tuple[str, ...]

    @property
    def lengths(self) -> Tuple[int, ...]:
        return tuple(len(p) for p in self.pieces)


def _split(text: str, limit: int) -> List[str]:
    from channels.common import split_message  # plain Python: no Rasa

    return split_message(text, limit) or [""]


def channel_splits(text: str, button: Optional[str] = None) -> List[ChannelSplit]:
    """What ``text`` becomes in each channel, as the connectors send it: Telegram escapes it as HTML and splits
    at its limit (the button under the last piece); Zalo has no buttons, so the button becomes a numbered line,
    and splits at its limit; the web widget shows it as one message."""
    import html

    zalo = text.rstrip()
    if button:
        zalo = "\n".join([zalo, "", f"1. {button}", ZALO_CHOOSE])
    return [
        ChannelSplit("telegram", tuple(_split(html.escape(text, quote=False), TELEGRAM_LIMIT))),
        ChannelSplit("zalo", tuple(_split(zalo, ZALO_LIMIT))),
        ChannelSplit("socketio", (text,)),
    ]


@_tx
def record_test(conn: Connection, campaign_id: int, staff_id: int) -> dict:
    """A test of the campaign "sent" to the supervisor themself. Staff have no chat id, so the test is the exact
    message shown back in the console: an outreach_deliveries row (key ``test:<campaign>:<staff>:<n>``, channel
    ``console``, status ``delivered``) holding the text. Returns the row."""
    campaign = _get(conn, campaign_id)
    prefix = f"test:{campaign_id}:{staff_id}:"
    n = conn.execute(select(func.count()).select_from(outreach_deliveries)
                     .where(outreach_deliveries.c.key.like(prefix + "%"))).scalar_one() + 1
    t = now()
    while True:
        delivery_id = _insert_new(conn, outreach_deliveries, dict(
            key=f"{prefix}{n}", created_at=t, due_at=t, campaign_id=campaign_id, channel=TEST_CHANNEL,
            text=campaign["text"], status="delivered", finished_at=t))
        if delivery_id is not None:
            break
        n += 1  # two tests at once: the next number
    audit(conn, "campaign_test_sent", staff_id=staff_id, detail={"campaign": campaign_id, "test": n})
    return dict(conn.execute(select(outreach_deliveries).where(outreach_deliveries.c.id == delivery_id)).mappings().first())


def _is_test(column):
    return column.like("test:%")


@_tx
def tests_of(conn: Connection, campaign_id: int, staff_id: Optional[int] = None) -> List[dict]:
    """The tests of a campaign (of one staff account), newest first."""
    prefix = f"test:{campaign_id}:" + (f"{staff_id}:" if staff_id is not None else "")
    q = (select(outreach_deliveries).where(outreach_deliveries.c.campaign_id == campaign_id,
                                           outreach_deliveries.c.key.like(prefix + "%"))
         .order_by(outreach_deliveries.c.id.desc()))
    return [dict(r) for r in conn.execute(q).mappings()]


@_tx
def delivery_counts(conn: Connection, campaign_id: int) -> Dict[str, int]:
    """How the campaign's deliveries stand, by status (tests left out)."""
    q = (select(outreach_deliveries.c.status, func.count())
         .where(outreach_deliveries.c.campaign_id == campaign_id, ~_is_test(outreach_deliveries.c.key))
         .group_by(outreach_deliveries.c.status))
    return {status: int(n) for status, n in conn.execute(q)}


# --- law-change notices -------------------------------------------------------------------------------------


def _format_value(value: Any, unit: str) -> Optional[str]:
    """A parameter value as a notice shows it, when it is one number; None otherwise (the editor words it)."""
    from knowledge.money import percent, vnd

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value if isinstance(value, str) and unit in ("phone", "url") else None
    if unit.startswith("VND"):
        per = {"VND/month": "/tháng", "VND/hour": "/giờ", "VND/day": "/ngày"}.get(unit, "")
        return vnd(value) + per
    if unit in ("ratio", "rate"):
        return percent(value)
    return None


def notice(name: str, effective: dt.date, today: dt.date) -> Tuple[str, str]:
    """The title and text of the notice that parameter ``name`` takes a new value on ``effective``, as on
    ``today``: ``notice.title.<name>``/``notice.<name>`` of knowledge/content/notices.yaml when written, else the
    generic ones; then the new value's caution and a short legal basis (knowledge/compose.py)."""
    from knowledge import compose, content
    from knowledge import parameters as P

    parameter = P.registry()[name]
    inputs: Dict[str, Any] = {"label": parameter.label, "since": effective.strftime("%d/%m/%Y")}
    new_fact = None
    try:
        new_fact = parameter.at(effective)
        inputs["value"] = _format_value(new_fact.value, parameter.unit)
    except P.NotInForce:
        inputs["ended"] = True
    try:
        inputs["current"] = _format_value(parameter.at(today).value, parameter.unit)
    except P.NotInForce:
        inputs["current"], inputs["new"] = None, True
    source = content.content()
    title_key = f"notice.title.{name}" if f"notice.title.{name}" in source else "notice.title.generic"
    text_key = f"notice.{name}" if f"notice.{name}" in source else "notice.generic"
    title = compose.say(title_key, today, inputs)
    rendered = content.render(text_key, today, inputs)
    if new_fact is not None and new_fact not in rendered.facts:
        rendered.facts.append(new_fact)  # its caution and basis, even when the text did not show the value
    return title[:TITLE_LIMIT], compose.answer(rendered, today).text


def upcoming_changes(today: dt.date, within_days: int = LAW_CHANGE_DAYS) -> List[Tuple[str, dt.date]]:
    """(parameter, day) of every dated value that starts within ``within_days`` after ``today``."""
    from knowledge import parameters as P

    horizon = today + dt.timedelta(days=within_days)
    return [(name, day) for name, p in sorted(P.registry().items()) for day in p.changes_between(today, horizon)]


@_tx
def law_change_drafts(conn: Connection, today: dt.date, within_days: int = LAW_CHANGE_DAYS) -> List[int]:
    """A draft campaign (source ``law_change``, segment: every subscriber) for each parameter value that starts
    within ``within_days`` after ``today``, once per parameter and day (also when the draft was cancelled).
    The ids of the drafts made now."""
    made: List[int] = []
    for name, effective in upcoming_changes(today, within_days):
        exists = conn.execute(select(campaigns.c.id).where(
            campaigns.c.source == LAW_CHANGE, campaigns.c.parameter == name, campaigns.c.effective == effective)).first()
        if exists:
            continue
        try:
            title, text = notice(name, effective, today)
        except Exception:  # noqa: BLE001 - one notice that does not render must not stop the others
            log.exception("law-change notice for %s on %s does not render", name, effective)
            continue
        campaign_id = _insert_new(conn, campaigns, dict(
            created_at=now(), created_by=None, title=title, text=text[:TEXT_LIMIT], segment={}, status="draft",
            source=LAW_CHANGE, parameter=name, effective=effective))
        if campaign_id is None:
            continue  # drafted meanwhile (another console replica)
        audit(conn, "law_change_draft_created", detail={"campaign": campaign_id, "parameter": name,
                                                        "effective": effective.isoformat()})
        made.append(campaign_id)
    return made
