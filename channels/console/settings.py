"""Settings of the staff console: the ``console:`` block of ``console.yml`` (repository root, or the file named
by ``ANSINH_CONSOLE_CONFIG``), then the environment, which wins:

    ANSINH_CONSOLE_HOST, ANSINH_CONSOLE_PORT, ANSINH_CONSOLE_BASE_URL   where the console listens / its public URL
    ANSINH_CONSOLE_SECRET    key for CSRF tokens (set the same value on every replica; random per process if unset)
    ANSINH_RASA_URL, ANSINH_RASA_TOKEN   Rasa's HTTP API and its --auth-token (the transcript is read there)
    ANSINH_CONSOLE_TELEGRAM_CHATS   JSON object {province: chat id} of the staff Telegram group per province
    ANSINH_DB_URL            the case database (cases/db.py)
    ANSINH_EVENTS_URL        Rasa's event-broker database, read by the programme dashboard (default
                             sqlite:///events.db, in the working directory, as endpoints.yml's event_broker)

Office hours (``OfficeHours``) are weekly intervals in Vietnam time plus dated public holidays (Tết and the
others, listed year by year in console.yml because the lunar dates move).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = ROOT / "console.yml"
VN = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no DST in Vietnam
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": "Thứ Hai", "tue": "Thứ Ba", "wed": "Thứ Tư", "thu": "Thứ Năm", "fri": "Thứ Sáu", "sat": "Thứ Bảy", "sun": "Chủ Nhật"}
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Holiday:
    start: dt.date
    end: dt.date  # inclusive
    name: str


@dataclass(frozen=True)
class OfficeHours:
    weekly: Mapping[str, Tuple[Tuple[dt.time, dt.time], ...]]
    holidays: Tuple[Holiday, ...] = ()

    def holiday(self, day: dt.date) -> Optional[Holiday]:
        return next((h for h in self.holidays if h.start <= day <= h.end), None)

    def is_open(self, at: Optional[dt.datetime] = None) -> bool:
        local = _local(at)
        if self.holiday(local.date()):
            return False
        return any(a <= local.time() < b for a, b in self.weekly.get(DAYS[local.weekday()], ()))

    def next_opening(self, at: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
        """The next moment (Vietnam time) the office opens, ``at`` itself when open; None if never within 60 days."""
        local = _local(at)
        if self.is_open(local):
            return local
        for offset in range(0, 60):
            day = local.date() + dt.timedelta(days=offset)
            if self.holiday(day):
                continue
            for a, _b in self.weekly.get(DAYS[day.weekday()], ()):
                start = dt.datetime.combine(day, a, tzinfo=VN)
                if start > local:
                    return start
        return None

    def after_working_time(self, at: Optional[dt.datetime], working: dt.timedelta) -> Optional[dt.datetime]:
        """The moment (Vietnam time) when ``working`` office time has passed after ``at``, counting only open
        hours (so 4 hours asked at 16:00 on a Friday end on Monday morning); None without office hours."""
        local = _local(at)
        left = working
        for offset in range(0, 60):
            day = local.date() + dt.timedelta(days=offset)
            if self.holiday(day):
                continue
            for a, b in self.weekly.get(DAYS[day.weekday()], ()):
                start, end = dt.datetime.combine(day, a, tzinfo=VN), dt.datetime.combine(day, b, tzinfo=VN)
                start = max(start, local)
                if start >= end:
                    continue
                if end - start >= left:
                    return start + left
                left -= end - start
        return None

    def describe(self) -> str:
        """Vietnamese, e.g. "Thứ Hai–Thứ Sáu 07:30–11:30, 13:00–17:00"."""
        groups: List[Tuple[List[str], str]] = []
        for d in DAYS:
            spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.weekly.get(d, ()))
            if not spans:
                continue
            if groups and groups[-1][1] == spans and DAYS.index(groups[-1][0][-1]) == DAYS.index(d) - 1:
                groups[-1][0].append(d)
            else:
                groups.append(([d], spans))
        parts = []
        for days, spans in groups:
            names = DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
            parts.append(f"{names} {spans}")
        return "; ".join(parts) or "không có giờ làm việc"


def _local(at: Optional[dt.datetime]) -> dt.datetime:
    at = at or dt.datetime.now(dt.timezone.utc)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)  # naive times in this project are UTC
    return at.astimezone(VN)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8090
    base_url: str = "http://localhost:8090"
    secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    rasa_url: str = "http://localhost:5005"
    rasa_token: Optional[str] = field(default=None, repr=False)
    session_ttl: dt.timedelta = dt.timedelta(hours=8)
    waiting_alert: dt.timedelta = dt.timedelta(hours=2)
    poll_seconds: int = 10
    throttle_per_username: int = 5
    throttle_per_address: int = 20
    throttle_window: dt.timedelta = dt.timedelta(minutes=15)
    trust_forwarded_for: bool = False  # behind a reverse proxy that sets X-Forwarded-For
    office_hours: OfficeHours = field(default_factory=lambda: OfficeHours(weekly={}))
    telegram_staff_chats: Mapping[str, str] = field(default_factory=dict)
    first_reply: dt.timedelta = dt.timedelta(hours=4)  # working time within which staff answer a new case
    events_url: str = "sqlite:///events.db"  # Rasa's event broker (outreach/metrics.py); missing: "chưa có dữ liệu"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def case_url(self, case_id: int) -> str:
        """The absolute link of a case (for notifications)."""
        return f"{self.base_url.rstrip('/')}/cases/{case_id}"


def _interval(text: str) -> Tuple[dt.time, dt.time]:
    m = _INTERVAL.match(str(text))
    if not m:
        raise SettingsError(f"office hours: {text!r} is not HH:MM-HH:MM")
    a, b = dt.time(int(m[1]), int(m[2])), dt.time(int(m[3]), int(m[4]))
    if not a < b:
        raise SettingsError(f"office hours: {text!r} ends before it starts")
    return a, b


def _date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as err:
        raise SettingsError(f"holiday date {value!r}: {err}") from None


def office_hours(raw: Optional[Mapping]) -> OfficeHours:
    raw = raw or {}
    weekly: Dict[str, Tuple[Tuple[dt.time, dt.time], ...]] = {}
    for day, spans in (raw.get("weekly") or {}).items():
        if day not in DAYS:
            raise SettingsError(f"office hours: unknown day {day!r} (one of {', '.join(DAYS)})")
        weekly[day] = tuple(_interval(s) for s in (spans or ()))
    holidays = []
    for h in raw.get("holidays") or ():
        if "date" in h:
            start = end = _date(h["date"])
        else:
            start, end = _date(h["from"]), _date(h["to"])
        if end < start:
            raise SettingsError(f"holiday {h!r} ends before it starts")
        holidays.append(Holiday(start, end, str(h.get("name") or "ngày nghỉ")))
    return OfficeHours(weekly=weekly, holidays=tuple(holidays))


def load(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None, **overrides) -> Settings:
    """Settings from the file's ``console:`` block, then the environment, then ``overrides`` (tests)."""
    env = os.environ if env is None else env
    path = Path(path or env.get("ANSINH_CONSOLE_CONFIG") or DEFAULT_FILE)
    block: Dict = {}
    if path.exists():
        block = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("console") or {}
    throttle = block.get("login_throttle") or {}
    chats = {str(k): str(v) for k, v in (block.get("telegram_staff_chats") or {}).items() if v not in (None, "")}
    if env.get("ANSINH_CONSOLE_TELEGRAM_CHATS"):
        try:
            chats.update({str(k): str(v) for k, v in json.loads(env["ANSINH_CONSOLE_TELEGRAM_CHATS"]).items()})
        except (ValueError, AttributeError) as err:
            raise SettingsError(f"ANSINH_CONSOLE_TELEGRAM_CHATS is not a JSON object: {err}") from None
    port = int(env.get("ANSINH_CONSOLE_PORT") or block.get("port") or 8090)
    values = dict(
        host=env.get("ANSINH_CONSOLE_HOST") or block.get("host") or "127.0.0.1",
        port=port,
        base_url=(env.get("ANSINH_CONSOLE_BASE_URL") or block.get("base_url") or f"http://localhost:{port}").rstrip("/"),
        rasa_url=(env.get("ANSINH_RASA_URL") or block.get("rasa_url") or "http://localhost:5005").rstrip("/"),
        rasa_token=env.get("ANSINH_RASA_TOKEN") or None,
        session_ttl=dt.timedelta(minutes=float(block.get("session_ttl_minutes", 480))),
        waiting_alert=dt.timedelta(minutes=float(block.get("waiting_alert_minutes", 120))),
        poll_seconds=int(block.get("poll_seconds", 10)),
        throttle_per_username=int(throttle.get("per_username", 5)),
        throttle_per_address=int(throttle.get("per_address", 20)),
        throttle_window=dt.timedelta(minutes=float(throttle.get("window_minutes", 15))),
        trust_forwarded_for=bool(block.get("trust_forwarded_for", False)),
        office_hours=office_hours(block.get("office_hours")),
        telegram_staff_chats=chats,
        first_reply=dt.timedelta(hours=float(block.get("first_reply_working_hours", 4))),
        events_url=env.get("ANSINH_EVENTS_URL") or block.get("events_url") or "sqlite:///events.db",
    )
    if env.get("ANSINH_CONSOLE_SECRET"):
        values["secret"] = env["ANSINH_CONSOLE_SECRET"]
    values.update(overrides)
    return Settings(**values)
