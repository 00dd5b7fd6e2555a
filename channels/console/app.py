"""The staff console's aiohttp application.

    create_app(engine=None, settings=None, transcript_reader=None, status_listeners=(), relay=None)

* ``engine``: the case database (default: cases.db.make_engine(), i.e. ANSINH_DB_URL).
* ``transcript_reader``: ``async (sender_id) -> list of tracker events``; default ``RasaTrackerReader``, which
  reads ``GET {rasa_url}/conversations/<sender_id>/tracker`` with the token of ANSINH_RASA_TOKEN.
* ``status_listeners``: ``async (case_before, case_after, staff)`` called after every status change made in
  the console (a first reply, hand back to the bot, resolve, escalate), e.g. to notify someone; a failing
  listener is logged and the change stays.
* ``relay``: the client of Rasa's staff-takeover webhooks (channels/console/relay.py; default
  ``RasaRelay(settings.rasa_url, settings.rasa_token)``): staff replies are delivered through it, taking a
  case on pauses the bot, handing back and resolving resume it (the hand-back notice, the rating question).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Awaitable, Callable, Iterable, List, Optional
from urllib.parse import quote

import aiohttp
import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine

from cases import log_masking
from cases import repository as repo
from channels.console import auth, campaign_views, dashboard_views, views
from channels.console.relay import RasaRelay
from channels.console.settings import VN, Settings, load

log = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach the console's logs
HERE = Path(__file__).resolve().parent
TranscriptReader = Callable[[str], Awaitable[List[dict]]]
StatusListener = Callable[[dict, dict, dict], Awaitable[None]]


class RasaTrackerReader:
    """Reads a conversation from Rasa's HTTP API (``--enable-api``, ``--auth-token``)."""

    def __init__(self, base_url: str, token: Optional[str], timeout: float = 10) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    async def __call__(self, sender_id: str) -> List[dict]:
        params = {"include_events": "ALL"}
        if self.token:
            params["token"] = self.token
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
                async with session.get(url, params=params) as r:
                    if r.status in (401, 403):
                        raise views.TranscriptUnavailable("Rasa từ chối đọc cuộc trò chuyện (kiểm tra ANSINH_RASA_TOKEN).")
                    if r.status != 200:
                        raise views.TranscriptUnavailable(f"Rasa trả lời mã {r.status} khi đọc cuộc trò chuyện.")
                    tracker = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            log.warning("tracker of a case unreadable: %s", type(err).__name__)
            raise views.TranscriptUnavailable("Không kết nối được tới Rasa để đọc cuộc trò chuyện.") from None
        return list(tracker.get("events") or [])


def _vn_time(value: Optional[dt.datetime], fmt: str = "%H:%M %d/%m/%Y") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(VN).strftime(fmt)


def _topic_label(key: Optional[str]) -> str:
    if not key:
        return ""
    try:
        from knowledge.registry import registry

        topic = registry().topics.get(key)
        return (topic.label if topic and topic.label else key)
    except Exception:  # noqa: BLE001 - a label is cosmetic; the key is shown instead
        return key


def _fact_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(mask=repo.mask, vn_time=_vn_time, topic_label=_topic_label, fact=_fact_value,
                       figure=dashboard_views.cell)
    env.globals.update(STATUS_LABELS=views.STATUS_LABELS, ROLE_LABELS=views.ROLE_LABELS, KIND_LABELS=views.KIND_LABELS,
                       DELIVERY_LABELS=views.DELIVERY_LABELS, DIRECTION_LABELS=views.DIRECTION_LABELS)
    return env


@web.middleware
async def errors(request: web.Request, handler):
    """HTTP errors as the console's own page (Vietnamese), not aiohttp's plain text."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        messages = {404: "Không tìm thấy trang.", 403: "Anh/chị không có quyền thực hiện thao tác này.", 405: "Phương thức không được hỗ trợ."}
        text = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else messages.get(exc.status, "Đã có lỗi xảy ra.")
        return request.app["render"](request, "error.html", {"title": "Không thực hiện được", "message": text}, status=exc.status)


def create_app(
    engine: Optional[Engine] = None,
    settings: Optional[Settings] = None,
    transcript_reader: Optional[TranscriptReader] = None,
    status_listeners: Iterable[StatusListener] = (),
    relay: Optional[RasaRelay] = None,
) -> web.Application:
    if engine is None:
        from cases.db import make_engine

        engine = make_engine()
    settings = settings or load()
    app = web.Application(middlewares=[auth.security, errors], client_max_size=256 * 1024)
    app["engine"], app["settings"] = engine, settings
    app["transcript_reader"] = transcript_reader or RasaTrackerReader(settings.rasa_url, settings.rasa_token)
    app["status_listeners"] = list(status_listeners)
    app["relay"] = relay or RasaRelay(settings.rasa_url, settings.rasa_token)
    app["topic_label"] = _topic_label
    env = _environment()

    def render_text(request: web.Request, name: str, ctx: dict) -> str:
        base = {"staff": request.get("staff"), "csrf_token": request.get("csrf_token"), "settings": settings,
                "path": request.path, "now": repo.now()}
        return env.get_template(name).render({**base, **ctx})

    def render(request: web.Request, name: str, ctx: dict, status: int = 200) -> web.Response:
        return web.Response(text=render_text(request, name, ctx), status=status, content_type="text/html", charset="utf-8")

    app["render"], app["render_text"] = render, render_text
    r = app.router
    r.add_get("/login", views.login_page)
    r.add_post("/login", views.login)
    r.add_post("/logout", views.logout)
    r.add_get("/", views.home)
    r.add_get("/inbox/rows", views.inbox_rows)
    r.add_get(r"/cases/{case_id}", views.case_page)
    r.add_post(r"/cases/{case_id}/notes", views.add_note)
    r.add_post(r"/cases/{case_id}/reply", views.reply)
    r.add_post(r"/cases/{case_id}/assign", views.assign)
    r.add_post(r"/cases/{case_id}/take", views.take)
    r.add_post(r"/cases/{case_id}/escalate", views.escalate)
    r.add_post(r"/cases/{case_id}/status", views.change_status)
    r.add_get(r"/cases/{case_id}/summary", views.summary)
    r.add_get("/staff", views.staff_page)
    r.add_post("/staff", views.create_account)
    r.add_post(r"/staff/{staff_id}/active", views.set_active)
    r.add_post(r"/staff/{staff_id}/password", views.reset_password)
    r.add_get("/figures", views.figures)
    # campaigns (supervisors) and the programme dashboard (programme managers, supervisors): issue 14
    r.add_get("/campaigns", campaign_views.list_page)
    r.add_get("/campaigns/new", campaign_views.new_page)
    r.add_post("/campaigns/new", campaign_views.create)
    r.add_get(r"/campaigns/{campaign_id:\d+}", campaign_views.detail)
    r.add_post(r"/campaigns/{campaign_id:\d+}/edit", campaign_views.edit)
    r.add_post(r"/campaigns/{campaign_id:\d+}/test", campaign_views.test)
    r.add_post(r"/campaigns/{campaign_id:\d+}/schedule", campaign_views.schedule)
    r.add_post(r"/campaigns/{campaign_id:\d+}/cancel", campaign_views.cancel)
    r.add_get("/dashboard", dashboard_views.dashboard)
    r.add_get("/dashboard/targets", dashboard_views.targets)
    r.add_get(r"/dashboard/{table}.csv", dashboard_views.table_csv)
    r.add_static("/static/", str(HERE / "static"), show_index=False)
    return app
