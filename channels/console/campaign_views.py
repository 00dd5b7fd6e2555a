"""Campaigns in the staff console (supervisors only): write a message, pick a segment of the subscribed users,
see how many it reaches and the message as they will read it, test it on oneself, schedule it, cancel it before
it goes out. Law-change notices are drafted from knowledge/ when the list is opened (outreach/campaigns.py
``law_change_drafts``: cheap, and each notice only once).

    GET  /campaigns                    the list (drafts from law changes marked)
    GET  /campaigns/new, POST          a new draft
    GET  /campaigns/{id}               recipients, preview, per-channel split, tests, schedule, cancel
    POST /campaigns/{id}/edit          change a draft
    POST /campaigns/{id}/test          a test to oneself (shown on the page: staff have no chat id)
    POST /campaigns/{id}/schedule      ``at``: a datetime-local in Vietnam time
    POST /campaigns/{id}/cancel

Sending is the scheduler's (outreach/scheduler.py), at the scheduled time, with a "Dừng nhắc" button.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import Any, Dict, List, Optional

from aiohttp import web
from sqlalchemy import select

from cases.schema import SUBSCRIPTION_KINDS, subscriptions
from channels.console import auth
from channels.console.dashboard_views import topic_title
from channels.console.settings import VN
from knowledge import referral as directory
from outreach import campaigns as C

STATUS_LABELS = {"draft": "Bản nháp", "scheduled": "Đã hẹn giờ gửi", "sending": "Đang gửi", "sent": "Đã gửi",
                 "cancelled": "Đã hủy"}
KIND_LABELS = {"vsi_payment": "Nhắc đóng BHXH tự nguyện", "hi_renewal": "Nhắc gia hạn thẻ BHYT", "news": "Nhận tin"}
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Khung trò chuyện trên trang web"}
GROUP_LABELS = {"farmer": "Nông dân", "informal": "Lao động tự do, phi chính thức", "poor": "Hộ nghèo",
                "near_poor": "Hộ cận nghèo", "ethnic_minority": "Người dân tộc thiểu số"}
SPLIT_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Trang web"}
DELIVERY_LABELS = {"pending": "Chưa rõ kết quả", "sent": "Đã gửi", "delivered": "Đã đến nơi",
                   "undeliverable": "Không gửi được", "waiting_visit": "Chờ lần truy cập tới", "skipped": "Hoãn"}
# Topics a campaign may aim at: the registry's answers, not its controls and small talk.
NOT_SEGMENT_TOPICS = {"legal_basis", "more_detail", "cancel", "case_status", "case_withdraw", "erase_data", "subscribe",
                      "subscribe_hi", "unsubscribe", "human_handoff", "handoff_new_matter"}
ERRORS = {
    "a campaign needs a title": "Vui lòng nhập tiêu đề.",
    "a campaign needs a text": "Vui lòng nhập nội dung tin nhắn.",
    "the time to send must be in the future": "Thời điểm gửi phải ở tương lai.",
}


def today() -> dt.date:
    """The day whose rules apply (ANSINH_TODAY pins it, as for the assistant: demos of a coming law change)."""
    pinned = os.environ.get("ANSINH_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.datetime.now(VN).date()


def _message(err: C.CampaignError) -> str:
    text = str(err)
    if text in ERRORS:
        return ERRORS[text]
    if "longer than" in text:
        return (f"Tiêu đề dài quá {C.TITLE_LIMIT} ký tự." if text.startswith("the title")
                else f"Nội dung dài quá {C.TEXT_LIMIT} ký tự: vui lòng rút ngắn.")
    return "Thông tin chiến dịch chưa hợp lệ."


def _campaign_or_404(request: web.Request) -> dict:
    try:
        campaign_id = int(request.match_info["campaign_id"])
    except ValueError:
        raise web.HTTPNotFound(text="Không tìm thấy chiến dịch.") from None
    campaign = C.get_campaign(request.app["engine"], campaign_id)
    if campaign is None:
        raise web.HTTPNotFound(text="Không tìm thấy chiến dịch.")
    return campaign


def _choices(request: web.Request) -> Dict[str, List[tuple]]:
    from knowledge.registry import registry

    topics = [(k, topic_title(k)) for k, t in registry().topics.items() if t.label and k not in NOT_SEGMENT_TOPICS]
    groups = dict(GROUP_LABELS)
    with request.app["engine"].connect() as conn:  # groups the subscriptions already use
        for (g,) in conn.execute(select(subscriptions.c["group"]).where(subscriptions.c["group"].isnot(None)).distinct()):
            groups.setdefault(g, g)
    return {
        "provinces": [(p.name, p.name) for p in directory.provinces()],
        "channels": list(CHANNELS.items()),
        "topics": topics,
        "groups": list(groups.items()),
        "kinds": [(k, KIND_LABELS.get(k, k)) for k in SUBSCRIPTION_KINDS],
    }


def _form_values(request: web.Request) -> Dict[str, Any]:
    form = request["form"]
    return {"title": str(form.get("title") or ""), "text": str(form.get("text") or "").replace("\r\n", "\n"),
            "segment": {k: str(form.get(k) or "").strip() for k in C.SEGMENT_KEYS}}


def _valid_segment(request: web.Request, segment: Dict[str, str]) -> Optional[str]:
    choices = _choices(request)
    allowed = {"province": choices["provinces"], "channel": choices["channels"], "topic": choices["topics"],
               "group": choices["groups"], "kind": choices["kinds"]}
    for key, value in segment.items():
        if value and value not in {k for k, _l in allowed[key]}:
            return "Vui lòng chọn nhóm người nhận trong danh sách."
    return None


def segment_text(segment: Dict[str, Any], choices: Dict[str, List[tuple]]) -> str:
    """The segment in words, e.g. "Tỉnh/thành: Tây Ninh; Kênh: Zalo"; every subscriber when empty."""
    names = {"province": "Tỉnh/thành", "channel": "Kênh", "topic": "Chủ đề quan tâm", "group": "Nhóm", "kind": "Loại đăng ký"}
    lists = {"province": "provinces", "channel": "channels", "topic": "topics", "group": "groups", "kind": "kinds"}
    parts = []
    for key in C.SEGMENT_KEYS:
        value = (segment or {}).get(key)
        if value:
            label = dict(choices[lists[key]]).get(value, value)
            parts.append(f"{names[key]}: {label}")
    return "; ".join(parts) or "Mọi người đang đăng ký nhận tin nhắn"


def _local_input(at: Optional[dt.datetime]) -> str:
    """A naive UTC time as the value of a datetime-local input (Vietnam time)."""
    if at is None:
        soon = dt.datetime.now(VN).replace(second=0, microsecond=0) + dt.timedelta(hours=1)
        return soon.replace(minute=0).strftime("%Y-%m-%dT%H:%M")
    return at.replace(tzinfo=dt.timezone.utc).astimezone(VN).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str) -> Optional[dt.datetime]:
    """A datetime-local value (Vietnam time, "2026-12-20T08:00") as naive UTC; None when it is not one."""
    try:
        local = dt.datetime.strptime(value.strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=VN).astimezone(dt.timezone.utc).replace(tzinfo=None)


def _stop_button() -> Optional[str]:
    try:
        from knowledge.registry import registry

        return registry().button("unsubscribe").title
    except Exception:  # noqa: BLE001 - the registry may not have it yet
        return None


# --- handlers ---------------------------------------------------------------------------------------------


@auth.require("supervisor")
async def list_page(request: web.Request) -> web.Response:
    eng = request.app["engine"]
    made = C.law_change_drafts(eng, today())
    rows = []
    for c in C.list_campaigns(eng):
        final = c["status"] in ("sending", "sent")
        rows.append({**c, "status_label": STATUS_LABELS[c["status"]],
                     "recipient_count": c["recipients"] if final and c["recipients"] is not None
                     else C.count_recipients(eng, c["segment"] or {}),
                     "counted": final and c["recipients"] is not None, "new": c["id"] in made})
    return request.app["render"](request, "campaigns.html", {"campaigns": rows, "made": len(made),
                                                             "STATUS_LABELS": STATUS_LABELS})


async def _form_page(request: web.Request, values: Dict[str, Any], *, error: Optional[str] = None,
                     status: int = 200) -> web.Response:
    return request.app["render"](request, "campaign_new.html", {
        "values": values, "choices": _choices(request), "error": error, "text_limit": C.TEXT_LIMIT,
        "title_limit": C.TITLE_LIMIT}, status=status)


@auth.require("supervisor")
async def new_page(request: web.Request) -> web.Response:
    return await _form_page(request, {"title": "", "text": "", "segment": {}})


@auth.require("supervisor")
async def create(request: web.Request) -> web.Response:
    values = _form_values(request)
    error = _valid_segment(request, values["segment"])
    if error:
        return await _form_page(request, values, error=error, status=400)
    try:
        campaign_id = C.create_campaign(request.app["engine"], request["staff"]["id"], values["title"], values["text"],
                                        values["segment"])
    except C.InvalidCampaign as err:
        return await _form_page(request, values, error=_message(err), status=400)
    raise web.HTTPFound(f"/campaigns/{campaign_id}")


@auth.require("supervisor")
async def detail(request: web.Request, *, error: Optional[str] = None, status: int = 200,
                 values: Optional[Dict[str, Any]] = None) -> web.Response:
    campaign = _campaign_or_404(request)
    eng, staff = request.app["engine"], request["staff"]
    choices = _choices(request)
    segment = campaign["segment"] or {}
    button = _stop_button()
    tests = C.tests_of(eng, campaign["id"], staff["id"])
    try:
        shown = int(request.query.get("test", "0"))
    except ValueError:
        shown = 0
    test_rows = [{**t, "splits": C.channel_splits(t["text"] or "", button), "length": len(t["text"] or ""),
                  "n": t["key"].rsplit(":", 1)[-1], "shown": t["id"] == shown} for t in tests]
    final = campaign["status"] in ("sending", "sent")
    ctx = {
        "campaign": campaign, "status_label": STATUS_LABELS[campaign["status"]],
        "segment_text": segment_text(segment, choices),
        "recipient_count": C.count_recipients(eng, segment),
        "by_channel": [(CHANNELS.get(k, k), n) for k, n in C.recipients_by_channel(eng, segment).items()],
        "zalo_recipients": C.recipients_by_channel(eng, segment).get("zalo", 0),
        "preview": campaign["text"], "button": button, "length": len(campaign["text"]),
        "splits": C.channel_splits(campaign["text"], button), "SPLIT_LABELS": SPLIT_LABELS,
        "tests": test_rows, "error": error, "choices": choices,
        "values": values or {"title": campaign["title"], "text": campaign["text"], "segment": segment},
        "editable": campaign["status"] in C.EDITABLE, "schedulable": campaign["status"] in ("draft", "scheduled"),
        "cancellable": campaign["status"] in C.CANCELLABLE, "final": final,
        "deliveries": [(DELIVERY_LABELS.get(k, k), n) for k, n in sorted(C.delivery_counts(eng, campaign["id"]).items())],
        "at_value": _local_input(campaign["scheduled_at"]), "text_limit": C.TEXT_LIMIT, "title_limit": C.TITLE_LIMIT,
        "done": {"scheduled": "Đã hẹn giờ gửi.", "cancelled": "Đã hủy chiến dịch.", "edited": "Đã lưu bản nháp.",
                 "test": "Đã gửi bản thử cho anh/chị (xem bên dưới)."}.get(request.query.get("done", "")),
    }
    return request.app["render"](request, "campaign.html", ctx, status=status)


@auth.require("supervisor")
async def edit(request: web.Request) -> web.Response:
    campaign = _campaign_or_404(request)
    values = _form_values(request)
    error = _valid_segment(request, values["segment"])
    if error:
        return await detail(request, error=error, status=400, values=values)
    try:
        C.edit_campaign(request.app["engine"], campaign["id"], values["title"], values["text"], values["segment"],
                        staff_id=request["staff"]["id"])
    except C.InvalidCampaign as err:
        return await detail(request, error=_message(err), status=400, values=values)
    except C.CampaignStateError as err:
        return await detail(request, status=409, error=(
            f"Chiến dịch đang ở trạng thái “{STATUS_LABELS.get(err.status, err.status)}”: chỉ sửa được bản nháp."))
    raise web.HTTPFound(f"/campaigns/{campaign['id']}?done=edited")


@auth.require("supervisor")
async def test(request: web.Request) -> web.Response:
    campaign = _campaign_or_404(request)
    row = C.record_test(request.app["engine"], campaign["id"], request["staff"]["id"])
    raise web.HTTPFound(f"/campaigns/{campaign['id']}?done=test&test={row['id']}#thu")


@auth.require("supervisor")
async def schedule(request: web.Request) -> web.Response:
    campaign = _campaign_or_404(request)
    raw = str(request["form"].get("at") or "")
    at = parse_local(raw)
    if at is None:
        return await detail(request, error="Vui lòng chọn ngày và giờ gửi.", status=400)
    try:
        C.schedule(request.app["engine"], campaign["id"], at, staff_id=request["staff"]["id"])
    except C.InvalidCampaign as err:
        return await detail(request, error=_message(err), status=400)
    except C.CampaignStateError as err:
        return await detail(request, status=409, error=(
            f"Chiến dịch đang ở trạng thái “{STATUS_LABELS.get(err.status, err.status)}”: không hẹn giờ được nữa."))
    raise web.HTTPFound(f"/campaigns/{campaign['id']}?done=scheduled")


@auth.require("supervisor")
async def cancel(request: web.Request) -> web.Response:
    campaign = _campaign_or_404(request)
    try:
        C.cancel(request.app["engine"], campaign["id"], staff_id=request["staff"]["id"])
    except C.CampaignLocked as err:
        return await detail(request, status=409, error=(
            f"Chiến dịch {'đang được gửi' if err.status == 'sending' else 'đã gửi'}: không hủy được nữa. "
            "Tin đã gửi đi không thu hồi được."))
    raise web.HTTPFound(f"/campaigns/{campaign['id']}?done=cancelled")
