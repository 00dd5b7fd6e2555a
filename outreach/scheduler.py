"""The outreach scheduler: a table-driven loop over the case database that sends payment and renewal
reminders and scheduled campaigns, at most once each.

Each message is first **claimed** by inserting its delivery record (``outreach_deliveries``, unique ``key``:
``reminder:<subscription>:<period start>``, ``campaign:<campaign>:<subscription>``) with status ``pending``,
committed, and only then sent; the outcome then replaces ``pending``. A crash or timeout between the two
leaves ``pending``: the outcome is unknown, and the message is not sent again (Telegram's and Zalo's send APIs
have no idempotency key). So a restart never repeats a message, and a scheduler that was down catches up in a
bounded way: of the reminders that fell due while it was down, only the latest (within ``catch_up_days``) goes.

Rules of the platforms and of courtesy: no messages in quiet hours (Vietnam time), at most ``weekly_cap``
messages per person per 7 days (reminders first), a pause between sends (Telegram allows about one message per
second per chat and 30 per second overall); Zalo outside its 48-hour window is recorded undeliverable with the
reason by the relay (channels/takeover.py), not retried; web notices wait for the visitor's next visit
(``waiting_visit``, shown by the widget channel).

``python -m outreach.scheduler run [--at 2026-12-24T09:00]`` runs one pass as of that time (Vietnam time;
default now); ``python -m outreach.scheduler loop`` runs a pass every ``interval`` seconds (``make run``), and
once a day enforces the retention periods (cases/retention.py).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cases import repository as repo
from cases.schema import outreach_deliveries, subscriptions
from outreach import schedule
from outreach.subscriptions import WEB_CHANNEL, active
from cases import log_masking

logger = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach this process's logs
VN = dt.timezone(dt.timedelta(hours=7))
COUNTED = ("pending", "sent", "delivered", "waiting_visit")  # what counts toward the weekly cap

# send(channel, sender_id, text, buttons) -> (status, reason)
Sender = Callable[[str, str, str, List[Dict[str, str]]], Awaitable[Tuple[str, Optional[str]]]]


@dataclass(frozen=True)
class Settings:
    days_before: int = schedule.DEFAULT_DAYS_BEFORE
    quiet_start: dt.time = dt.time(21, 0)  # Vietnam time
    quiet_end: dt.time = dt.time(7, 0)
    weekly_cap: int = 3
    catch_up_days: int = 7
    pause_seconds: float = 0.05
    interval_seconds: int = 300

    @classmethod
    def from_env(cls, env=os.environ) -> "Settings":
        def t(name: str, default: dt.time) -> dt.time:
            return dt.time.fromisoformat(env[name]) if env.get(name) else default
        return cls(
            days_before=int(env.get("ANSINH_REMINDER_DAYS_BEFORE", schedule.DEFAULT_DAYS_BEFORE)),
            quiet_start=t("ANSINH_QUIET_START", dt.time(21, 0)), quiet_end=t("ANSINH_QUIET_END", dt.time(7, 0)),
            weekly_cap=int(env.get("ANSINH_WEEKLY_CAP", 3)), catch_up_days=int(env.get("ANSINH_CATCH_UP_DAYS", 7)),
            pause_seconds=float(env.get("ANSINH_SEND_PAUSE", 0.05)), interval_seconds=int(env.get("ANSINH_SCHEDULER_INTERVAL", 300)),
        )

    def quiet(self, at_utc: dt.datetime) -> bool:
        local = at_utc.replace(tzinfo=dt.timezone.utc).astimezone(VN).time()
        if self.quiet_start > self.quiet_end:
            return local >= self.quiet_start or local < self.quiet_end
        return self.quiet_start <= local < self.quiet_end


@dataclass
class Report:
    statuses: Dict[str, int] = field(default_factory=dict)
    quiet: bool = False

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


@dataclass(frozen=True)
class Due:
    key: str
    subscription: dict
    text: str
    buttons: List[Dict[str, str]]
    due_at: dt.datetime
    campaign_id: Optional[int] = None


# --- what is due ----------------------------------------------------------------------------------------------

def due_reminders(sub: dict, at: dt.datetime, settings: Settings) -> Optional[Tuple[str, schedule.Reminder]]:
    """The latest reminder of a subscription due by ``at`` and not older than the catch-up window."""
    today = at.date()
    after = max(sub["created_at"].date(), today - dt.timedelta(days=settings.catch_up_days))
    details = sub["details"] or {}
    if sub["kind"] == "vsi_payment":
        from knowledge import parameters as P

        start = dt.date.fromisoformat(str(details.get("start") or sub["created_at"].date().replace(day=1).isoformat())[:10])
        found = schedule.vsi_reminders(start, int(details.get("period_months") or 1),
                                       P.value("vsi_payment_deadline_months", today), days_before=settings.days_before,
                                       after=after, count=24)
        due = [r for r in found if r.due <= today]
        return (f"reminder:{sub['id']}:{due[-1].period_start.isoformat()}", due[-1]) if due else None
    if sub["kind"] == "hi_renewal" and details.get("expiry"):
        r = schedule.hi_reminder(dt.date.fromisoformat(str(details["expiry"])[:10]), days_before=settings.days_before, after=after)
        return (f"reminder:{sub['id']}:{r.period_start.isoformat()}", r) if r and r.due <= today else None
    return None


def reminder_text(sub: dict, r: schedule.Reminder, on: dt.date) -> Tuple[str, List[Dict[str, str]]]:
    from knowledge import compose
    from knowledge.registry import registry

    details = sub["details"] or {}
    entry = "reminder.vsi" if sub["kind"] == "vsi_payment" else "reminder.hi"
    text = compose.say(entry, on, {"amount": details.get("amount"), "period": details.get("period_months"),
                                   "deadline": r.deadline.strftime("%d/%m/%Y"), "province": sub.get("province") or details.get("province")})
    stop = registry().button("unsubscribe")
    return text, [{"title": stop.title, "payload": stop.payload}]


def _sent_this_week(eng: Engine, sender_hash: str, at: dt.datetime) -> int:
    # Console tests (key test:...) have no subscription: the join leaves them out.
    q = (select(func.count()).select_from(outreach_deliveries.join(subscriptions, outreach_deliveries.c.subscription_id == subscriptions.c.id))
         .where(subscriptions.c.sender_hash == sender_hash, outreach_deliveries.c.status.in_(COUNTED),
                outreach_deliveries.c.created_at >= at - dt.timedelta(days=7)))
    with eng.connect() as conn:
        return int(conn.execute(q).scalar() or 0)


def _claim(eng: Engine, item: Due, at: dt.datetime, status: str = "pending", reason: Optional[str] = None) -> Optional[int]:
    """Insert the delivery record (committed); None if this key was handled before."""
    try:
        with eng.begin() as conn:
            result = conn.execute(outreach_deliveries.insert().values(
                key=item.key, created_at=at, due_at=item.due_at, subscription_id=item.subscription["id"],
                campaign_id=item.campaign_id, channel=item.subscription["channel"], text=item.text, status=status,
                reason=reason, finished_at=at if status != "pending" else None))
            return int(result.inserted_primary_key[0])
    except IntegrityError:
        return None


def _finish(eng: Engine, delivery_id: int, status: str, reason: Optional[str], at: dt.datetime) -> None:
    with eng.begin() as conn:
        conn.execute(outreach_deliveries.update().where(outreach_deliveries.c.id == delivery_id)
                     .values(status=status, reason=(reason or None) and reason[:255], finished_at=at))


def _campaign_items(eng: Engine, at: dt.datetime) -> Tuple[List[Due], Dict[int, int]]:
    """The messages of campaigns due now (claimed by moving them to ``sending``: a campaign cancelled or taken
    by another scheduler meanwhile is skipped), and of campaigns a crash left ``sending`` (their delivery
    records keep the recipients already reached from a second message)."""
    from knowledge.registry import registry
    from outreach import campaigns

    stop = registry().button("unsubscribe")
    chosen = []
    for c in campaigns.due_campaigns(eng, at):
        try:
            campaigns.mark(eng, c["id"], "sending")
        except campaigns.CampaignStateError:
            continue
        chosen.append(c)
    chosen += [c for c in campaigns.unfinished_campaigns(eng) if c["id"] not in {x["id"] for x in chosen}]
    items: List[Due] = []
    counts: Dict[int, int] = {}
    for c in chosen:
        recipients = campaigns.recipients(eng, c["segment"] or {})
        counts[c["id"]] = len(recipients)
        for sub in recipients:
            items.append(Due(f"campaign:{c['id']}:{sub['id']}", sub, c["text"], [{"title": stop.title, "payload": stop.payload}],
                             c["scheduled_at"] or at, c["id"]))
    return items, counts


# --- one pass -------------------------------------------------------------------------------------------------

async def run_once(eng: Engine, at: dt.datetime, send: Sender, settings: Settings = Settings()) -> Report:
    """One pass as of ``at`` (naive UTC): claim, send and record everything due."""
    report = Report()
    if settings.quiet(at):
        report.quiet = True
        return report
    items: List[Due] = []
    for sub in active(eng):
        found = due_reminders(sub, at, settings)
        if found:
            key, r = found
            text, buttons = reminder_text(sub, r, at.date())
            items.append(Due(key, sub, text, buttons, dt.datetime.combine(r.due, dt.time())))
    campaign_items, campaign_counts = _campaign_items(eng, at)
    items += campaign_items
    for item in items:
        sub = item.subscription
        if _sent_this_week(eng, sub["sender_hash"], at) >= settings.weekly_cap:
            if _claim(eng, item, at, "skipped", "weekly cap reached") is not None:
                report.count("skipped")
            continue
        if sub["channel"] == WEB_CHANNEL:
            if _claim(eng, item, at, "waiting_visit") is not None:
                report.count("waiting_visit")
            continue
        delivery_id = _claim(eng, item, at)
        if delivery_id is None:
            continue  # handled before (a restart, another scheduler)
        try:
            status, reason = await send(sub["channel"], sub["sender_id"], item.text, item.buttons)
        except Exception as err:  # noqa: BLE001 - the outcome is unknown: recorded, not repeated
            logger.warning("outreach send %s: outcome unknown (%s)", item.key, type(err).__name__)
            status, reason = "pending", f"outcome unknown: {type(err).__name__}"
        _finish(eng, delivery_id, status, reason, at)
        report.count(status)
        if settings.pause_seconds:
            await asyncio.sleep(settings.pause_seconds)
    from outreach import campaigns

    for cid, count in campaign_counts.items():
        campaigns.mark(eng, cid, "sent", recipients=count)
    return report


def relay_sender(base_url: str, token: Optional[str]) -> Sender:
    """Send through Rasa's relay (channels/takeover.py) as a notice: the conversation is not paused."""
    import aiohttp

    async def send(channel: str, sender_id: str, text: str, buttons: List[Dict[str, str]]) -> Tuple[str, Optional[str]]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
            async with http.post(f"{base_url.rstrip('/')}/webhooks/staff/deliver",
                                 json={"sender_id": sender_id, "text": text, "buttons": buttons, "notice": True},
                                 headers={"Authorization": f"Bearer {token or ''}"}) as r:
                if r.status != 200:
                    return "undeliverable", f"relay answered HTTP {r.status}"
                body = await r.json()
        return body.get("status") or "undeliverable", body.get("reason")

    return send


def rasa_token() -> Optional[str]:
    """ANSINH_RASA_TOKEN, else the token `make run` keeps in .rasa-token."""
    token = os.environ.get("ANSINH_RASA_TOKEN")
    if token:
        return token
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".rasa-token")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def _parse_at(value: Optional[str]) -> dt.datetime:
    if not value:
        return repo.now()
    local = dt.datetime.fromisoformat(value)
    if local.tzinfo is None:
        local = local.replace(tzinfo=VN)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outreach.scheduler", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one pass")
    run.add_argument("--at", help="as of this time (ISO, Vietnam time unless an offset is given); default now")
    sub.add_parser("loop", help="a pass every ANSINH_SCHEDULER_INTERVAL seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from cases.db import make_engine

    eng = make_engine()
    settings = Settings.from_env()
    send = relay_sender(os.environ.get("ANSINH_RASA_URL", "http://localhost:5005"), rasa_token())
    if args.command == "run":
        report = asyncio.run(run_once(eng, _parse_at(args.at), send, settings))
        print("quiet hours: nothing sent" if report.quiet else
              ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())) or "nothing due")
        return 0
    from cases import retention

    periods, stores, retained_on = retention.Periods.from_env(), retention.engines_from_env(), None
    while True:  # pragma: no cover - the long-running mode of `make run`
        try:
            asyncio.run(run_once(eng, repo.now(), send, settings))
        except Exception:  # noqa: BLE001 - the loop must keep going
            logger.exception("scheduler pass failed")
        if retained_on != repo.now().date():  # the retention periods, once a day (cases/retention.py)
            try:
                retention.enforce(repo.now(), periods, *stores)
                retained_on = repo.now().date()
            except Exception:  # noqa: BLE001
                logger.exception("retention pass failed")
        time.sleep(settings.interval_seconds)


if __name__ == "__main__":
    sys.exit(main())
