"""New-case notifications to the province's staff group on Telegram (python-telegram-bot 22).

The message names the case and where to open it, and nothing about the person: province, topic, channel,
case number, waiting since, and the link ``<console base URL>/cases/<id>``. No phone, CCCD or social-insurance
number, no user text.

Settings (the console's, ``channels/console/settings.py``):

    telegram_staff_chats (console.yml) / ANSINH_CONSOLE_TELEGRAM_CHATS   {province: chat id}; a province may
        be named any way people name it (old and merged names resolve to the current unit)
    ANSINH_TELEGRAM_SUPERVISORS_CHAT, or a ``supervisors`` entry among the chats   the chat for cases of a
        province without its own chat (else the case is logged, masked, and not announced)
    ANSINH_CONSOLE_BASE_URL (base_url)   the console's public address, for the link
    ANSINH_TELEGRAM_STAFF_BOT_TOKEN   the staff bot's token; else the Telegram channel's ``access_token`` in
        credentials.yml (``ANSINH_CREDENTIALS`` names another file; ``${VAR}`` is read from the environment)
    ANSINH_TELEGRAM_API_BASE   the Bot API base (default the channel's ``base_url``, else api.telegram.org)

``announce_new_case`` never raises and never blocks its caller: the message is sent from a background thread
with short timeouts; failures are logged.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

import yaml

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_API_BASE = "https://api.telegram.org/bot"
TELEGRAM_CHANNEL = "channels.telegram.TelegramInput"
SUPERVISORS_KEY = "supervisors"
TIMEOUT = 10.0  # seconds for each Bot API call
CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Web (widget)", "rest": "REST", "callback": "REST (callback)"}
_ENV_VAR = re.compile(r"\$\{([^}]+)\}")
_BOT_IN_URL = re.compile(r"bot\d+:[\w-]+")

_pending: List[threading.Thread] = []
_pending_lock = threading.Lock()


@dataclass(frozen=True)
class NewCase:
    case_id: int
    province: Optional[str]
    topic: Optional[str]
    channel: Optional[str]
    created_at: dt.datetime  # naive times are UTC


# --- settings -----------------------------------------------------------------------------------------------

def _expand(value) -> str:
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), ""), str(value or "")).strip()


def _telegram_credentials(env: Mapping[str, str]) -> Mapping:
    path = Path(env.get("ANSINH_CREDENTIALS") or ROOT / "credentials.yml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return data.get(TELEGRAM_CHANNEL) or {}


def bot_token(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    env = os.environ if env is None else env
    return env.get("ANSINH_TELEGRAM_STAFF_BOT_TOKEN") or _expand(_telegram_credentials(env).get("access_token")) or None


def api_base(env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    return (env.get("ANSINH_TELEGRAM_API_BASE") or _expand(_telegram_credentials(env).get("base_url"))
            or DEFAULT_API_BASE)


def _unit(name: str) -> str:
    """The current province a name means ("Long An" → "Tây Ninh"); the name itself when unknown or ambiguous."""
    try:
        from bot.gazetteer import resolve_province

        units = resolve_province(name)
    except Exception:  # noqa: BLE001 - matching falls back to the name as written
        units = ()
    return units[0] if len(units) == 1 else str(name).strip()


def chat_for(province: Optional[str], chats: Mapping[str, str], env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The staff chat of the case's province, else the supervisors' chat, else None."""
    env = os.environ if env is None else env
    if province:
        wanted = _unit(province)
        for name, chat in chats.items():
            if name != SUPERVISORS_KEY and chat and (name == province or _unit(name) == wanted):
                return str(chat)
    return env.get("ANSINH_TELEGRAM_SUPERVISORS_CHAT") or chats.get(SUPERVISORS_KEY) or None


# --- the message --------------------------------------------------------------------------------------------

def _topic_label(key: Optional[str]) -> str:
    if not key:
        return "chưa rõ"
    try:
        from knowledge.registry import registry

        topic = registry().topics.get(key)
        return topic.label if topic and topic.label else key
    except Exception:  # noqa: BLE001 - a label is cosmetic; the key is shown instead
        return key


def _vn_time(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%H:%M %d/%m/%Y")


def message(case: NewCase, base_url: str) -> str:
    """Plain text (sent without parse mode, so nothing in it is markup); no personal data by construction."""
    return "\n".join([
        f"🔔 Hồ sơ mới số {case.case_id} cần cán bộ tiếp nhận",
        f"Tỉnh/thành: {case.province or 'chưa rõ'}",
        f"Chủ đề: {_topic_label(case.topic)}",
        f"Kênh: {CHANNEL_LABELS.get(case.channel or '', case.channel or 'chưa rõ')}",
        f"Chờ từ: {_vn_time(case.created_at)} (giờ Việt Nam)",
        f"Mở hồ sơ: {base_url.rstrip('/')}/cases/{case.case_id}",
    ])


# --- sending --------------------------------------------------------------------------------------------------

def _masked(text: Optional[str]) -> str:
    from cases.repository import mask

    return mask(text or "") or "-"


async def send(case: NewCase, settings=None, env: Optional[Mapping[str, str]] = None) -> bool:
    """Send the announcement now; True when Telegram accepted it. Raises on Bot API errors."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from channels.console.settings import load

    env = os.environ if env is None else env
    settings = settings or load(env=env)
    chat = chat_for(case.province, settings.telegram_staff_chats, env)
    if not chat:
        logger.info("case %s (province %s): no staff Telegram chat configured, not announced",
                    case.case_id, _masked(case.province))
        return False
    token = bot_token(env)
    if not token:
        logger.warning("case %s: no staff bot token (ANSINH_TELEGRAM_STAFF_BOT_TOKEN), not announced", case.case_id)
        return False
    request = HTTPXRequest(connect_timeout=TIMEOUT, read_timeout=TIMEOUT, write_timeout=TIMEOUT, pool_timeout=TIMEOUT)
    bot = Bot(token, base_url=api_base(env), request=request)
    async with bot:
        await bot.send_message(chat_id=chat, text=message(case, settings.base_url), disable_web_page_preview=True)
    logger.info("case %s announced to the staff chat", case.case_id)
    return True


def _run(case: NewCase, env: Optional[Mapping[str, str]]) -> None:
    try:
        asyncio.run(send(case, env=env))
    except Exception as err:  # noqa: BLE001 - a notification must never break anything else
        detail = _BOT_IN_URL.sub("bot***", f"{type(err).__name__}: {err}")  # never the token in a log
        logger.warning("case %s: staff notification failed: %s", case.case_id, _masked(detail)[:300])
    finally:
        with _pending_lock:
            if threading.current_thread() in _pending:
                _pending.remove(threading.current_thread())


def announce_new_case(case: NewCase, env: Optional[Mapping[str, str]] = None) -> Optional[threading.Thread]:
    """Announce ``case`` in the background; returns the thread (None if it could not even start)."""
    try:
        thread = threading.Thread(target=_run, args=(case, env), name=f"notify-case-{case.case_id}", daemon=True)
        with _pending_lock:
            _pending.append(thread)
        thread.start()
        return thread
    except Exception:  # noqa: BLE001
        logger.exception("case %s: could not start the staff notification", case.case_id)
        with _pending_lock:
            _pending[:] = [t for t in _pending if t.is_alive()]
        return None


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait for the notifications in flight (tests); True when none is left."""
    deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while True:
        with _pending_lock:
            threads = list(_pending)
        if not threads:
            return True
        left = (deadline - dt.datetime.now()).total_seconds()
        if left <= 0:
            return False
        threads[0].join(left)
