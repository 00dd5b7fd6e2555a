"""The console's pages. Every handler runs after auth.security (session resolved, POST's CSRF checked);
what a role may see is decided here: officers their province's cases, supervisors all of them and the
accounts, programme managers the figures only.

Talking with the user goes through Rasa's takeover webhooks (``app["relay"]``, channels/console/relay.py): a
staff reply is delivered in the user's own channel (Rasa pauses the bot), taking a case on pauses the bot,
handing back or resolving resumes it (with a last message: the hand-back notice, the rating question). Each
outcome is an audit entry; a failure is shown on the case page and never undoes the recorded change."""
from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any, Dict, List, Optional

import yaml
from aiohttp import web

from cases import repository as repo
from cases.schema import CASE_STATUSES, OPEN_STATUSES, ROLES
from channels.console import auth, queries
from channels.console.relay import MAX_TEXT, Delivery, RelayError
from channels.console.settings import VN
from knowledge import compose, content
from knowledge import referral as directory
from knowledge.errors import UnknownProvince

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "bot": "Trợ lý đang xử lý",
    "waiting": "Đang chờ cán bộ",
    "with_staff": "Cán bộ đang xử lý",
    "escalated": "Đã chuyển trợ giúp pháp lý / công đoàn",
    "resolved": "Đã giải quyết",
}
ROLE_LABELS = {"officer": "Cán bộ công đoàn", "supervisor": "Giám sát viên", "programme_manager": "Quản lý chương trình"}
ESCALATION_KINDS = ("legal_aid", "labour_federation")
KIND_LABELS = {"legal_aid": "Trung tâm Trợ giúp pháp lý nhà nước", "labour_federation": "Liên đoàn Lao động"}
STAFF_ROLES = ("officer", "supervisor")
DELIVERY_LABELS = {"sent": "Đã gửi", "delivered": "Đã đến nơi", "undeliverable": "Không gửi được"}
DIRECTION_LABELS = {"user": "Người lao động", "staff": "Cán bộ", "bot": "Trợ lý"}
CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Khung trò chuyện trên trang web",
                  "rest": "Ứng dụng kết nối (REST)", "unknown": "Chưa rõ"}
REPLY_LIMIT = MAX_TEXT  # what Rasa's deliver webhook takes in one message
RATING_BUTTONS = tuple({"title": str(n), "payload": str(n)} for n in range(1, 6))
CANNED_FILE = content.CONTENT_DIR / "canned.yaml"
# The inbox's age filter: opened at least this long ago.
AGE_FILTERS = {"1h": ("hơn 1 giờ", dt.timedelta(hours=1)), "24h": ("hơn 1 ngày", dt.timedelta(days=1)),
               "72h": ("hơn 3 ngày", dt.timedelta(days=3))}


class TranscriptUnavailable(Exception):
    """Rasa's tracker could not be read (down, wrong token, ...)."""


# --- helpers ----------------------------------------------------------------------------------------------


def _staff(request: web.Request) -> dict:
    return request["staff"]


def _may_see(staff: dict, case: dict) -> bool:
    if staff["role"] == "supervisor":
        return True
    return staff["role"] == "officer" and case["province"] is not None and case["province"] == staff["province"]


def _case_or_404(request: web.Request) -> dict:
    """The case of the URL, if this account may see it. Another province's case is "not found", like a missing one."""
    staff = _staff(request)
    if staff["role"] not in ("officer", "supervisor"):
        raise web.HTTPForbidden(text="Tài khoản của anh/chị không có quyền xem hồ sơ.")
    try:
        case_id = int(request.match_info["case_id"])
    except ValueError:
        raise web.HTTPNotFound(text="Không tìm thấy hồ sơ.") from None
    case = repo.get_case(request.app["engine"], case_id)
    if case is None or not _may_see(staff, case):
        if case is not None:
            repo.audit(request.app["engine"], "case_access_refused", case_id=case_id, staff_id=staff["id"])
        raise web.HTTPNotFound(text="Không tìm thấy hồ sơ hoặc anh/chị không có quyền xem hồ sơ này.")
    return case


def _age(created: Optional[dt.datetime], at: dt.datetime) -> dt.timedelta:
    return at - created if created else dt.timedelta(0)


def age_text(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "vừa xong"
    if minutes < 60:
        return f"{minutes} phút"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} giờ {minutes % 60} phút" if minutes % 60 else f"{hours} giờ"
    return f"{hours // 24} ngày"


def _inbox_filters(request: web.Request) -> Dict[str, Any]:
    q = request.query
    status = q.get("status") or "open"
    if status not in CASE_STATUSES and status not in ("open", "all"):
        status = "open"
    age = q.get("age") if q.get("age") in AGE_FILTERS else ""
    return {"status": status, "province": q.get("province") or None, "topic": q.get("topic") or None, "age": age}


def _inbox(request: web.Request) -> Dict[str, Any]:
    """The rows the account may see, masked, grouped by status; the supervisors' queue."""
    eng, staff, settings = request.app["engine"], _staff(request), request.app["settings"]
    f = _inbox_filters(request)
    statuses = OPEN_STATUSES if f["status"] == "open" else CASE_STATUSES if f["status"] == "all" else (f["status"],)
    province = staff["province"] if staff["role"] == "officer" else f["province"]
    rows = queries.inbox(eng, statuses=statuses, province=province, topic=f["topic"])
    at = repo.now()
    covered = queries.provinces_with_officers(eng)
    items = []
    min_age = AGE_FILTERS[f["age"]][1] if f["age"] else None
    for c in rows:
        age = _age(c["created_at"], at)
        if min_age is not None and age < min_age:
            continue
        items.append({
            "id": c["id"], "status": c["status"], "status_label": STATUS_LABELS[c["status"]],
            "province": c["province"], "topic": c["topic"], "channel": c["channel"],
            "description": repo.mask(c["description"] or c["summary"] or ""),
            "assigned": c["assigned_username"], "age": age_text(age),
            "overdue": c["status"] == "waiting" and age > settings.waiting_alert,
            "uncovered": c["province"] not in covered,
            "new_message": c["new_message"], "last_message": repo.mask(c["last_user_text"] or ""),
        })
    groups = [(s, STATUS_LABELS[s], [i for i in items if i["status"] == s]) for s in statuses]
    queue = [i for i in items if i["uncovered"] and i["status"] in OPEN_STATUSES] if staff["role"] == "supervisor" else []
    return {"filters": f, "groups": groups, "queue": queue, "count": len(items),
            "overdue": sum(i["overdue"] for i in items), "latest": max((i["id"] for i in items), default=0),
            "new_messages": sum(i["new_message"] for i in items)}


def _redirect_case(case_id: int, anchor: str = "") -> web.HTTPFound:
    return web.HTTPFound(f"/cases/{case_id}{anchor}")


def _form(request: web.Request) -> Any:
    return request["form"]


def _today() -> dt.date:
    return dt.datetime.now(VN).date()


def _staff_name(staff: dict) -> str:
    return staff["display_name"] or staff["username"]


async def _notify_status(request: web.Request, before: dict, after: dict) -> None:
    """Tell the status listeners of a change (Rasa is told by the handlers themselves, through the relay)."""
    if before["status"] == after["status"]:
        return
    for listener in request.app["status_listeners"]:
        try:
            await listener(before, after, _staff(request))
        except Exception:  # noqa: BLE001 - a failing listener must not lose the recorded change
            log.exception("status listener %r failed for case %s", listener, after["id"])


async def _set_status(request: web.Request, case: dict, status: str) -> Optional[str]:
    """Change the status; a Vietnamese error message when the change is not allowed."""
    try:
        after = repo.set_status(request.app["engine"], case["id"], status, staff_id=_staff(request)["id"])
    except repo.InvalidTransition:
        return f"Không thể chuyển hồ sơ từ “{STATUS_LABELS[case['status']]}” sang “{STATUS_LABELS[status]}”."
    await _notify_status(request, case, after)
    return None


# --- canned replies and the relay to Rasa -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _canned_titles() -> Dict[str, str]:
    """key -> the title staff see (the entry's ``note``), in the file's order."""
    data = yaml.safe_load(CANNED_FILE.read_text(encoding="utf-8")) or {}
    return {str(k): str((v or {}).get("note") or k) for k, v in (data.get("canned") or {}).items()}


def canned_replies(on: dt.date) -> List[dict]:
    """The canned replies of knowledge/content/canned.yaml, rendered for the day: key, title, text."""
    out = []
    for key, title in _canned_titles().items():
        try:
            text = compose.say(f"canned.{key}", on)
        except Exception:  # noqa: BLE001 - one broken reply must not take the case page down
            log.exception("canned reply %s does not render", key)
            continue
        out.append({"key": key, "title": title, "text": text})
    return out


def _say(key: str, inputs: Dict[str, Any]) -> Optional[str]:
    """A content entry's text; None (logged) when the entry is missing or fails."""
    try:
        return compose.say(key, _today(), inputs)
    except Exception:  # noqa: BLE001 - the conversation is still resumed, without the message
        log.exception("content entry %s does not render", key)
        return None


def _redirect_with_notice(case_id: int, audit_id: Optional[int], anchor: str = "") -> web.HTTPFound:
    return web.HTTPFound(f"/cases/{case_id}" + (f"?relay={audit_id}" if audit_id else "") + anchor)


def _relay_audit(request: web.Request, case: dict, call: str, d: Delivery, **detail: Any) -> Optional[int]:
    """Audit a pause/resume's outcome; the entry's id when the case page should warn about it."""
    eng, staff_id = request.app["engine"], _staff(request)["id"]
    if not d.accepted:
        return repo.audit(eng, "relay_failed", case_id=case["id"], staff_id=staff_id,
                          detail={"call": call, "reason": d.reason, **detail})
    entry = repo.audit(eng, "conversation_paused" if call == "pause" else "conversation_resumed", case_id=case["id"],
                       staff_id=staff_id, detail={"delivery": d.status, "reason": d.reason, "channel": d.channel, **detail})
    return entry if d.status == "undeliverable" else None


async def _resume(request: web.Request, case: dict, to: str) -> Optional[int]:
    """Hand back (bot) or resolve: Rasa lets the bot answer again, with the hand-back notice or the rating
    question. Returns the audit id of a failure to warn about."""
    relay, eng = request.app["relay"], request.app["engine"]
    if to == "bot":
        text = _say("case.handed_back", {"case_id": case["id"]})
        d = await relay.resume(case["sender_id"], text=text)
    else:
        text = _say("case.rate_request", {"case_id": case["id"]})
        d = await relay.resume(case["sender_id"], text=text, buttons=list(RATING_BUTTONS) if text else None)
    warn = _relay_audit(request, case, "resume", d, to=to, text=bool(text))
    if to == "resolved" and text and d.accepted and d.status in ("sent", "delivered"):
        repo.audit(eng, "rating_requested", case_id=case["id"], staff_id=_staff(request)["id"], detail={"delivery": d.status})
    return warn


async def _pause(request: web.Request, case: dict) -> Optional[int]:
    try:
        await request.app["relay"].pause(case["sender_id"])
    except RelayError as err:
        return _relay_audit(request, case, "pause", Delivery("undeliverable", str(err), accepted=False))
    return _relay_audit(request, case, "pause", Delivery(None))


def relay_notice(request: web.Request, case: dict) -> Optional[dict]:
    """The warning of ``?relay=<audit id>`` after a pause/resume that failed (only that case's entries)."""
    try:
        entry_id = int(request.query.get("relay", "0"))
    except ValueError:
        return None
    entry = queries.audit_entry(request.app["engine"], entry_id) if entry_id else None
    if entry is None or entry["case_id"] != case["id"] or entry["action"] not in ("relay_failed", "conversation_resumed"):
        return None
    detail = entry["detail"] or {}
    reason = detail.get("reason") or "không rõ lý do"
    call, to = detail.get("call"), detail.get("to")
    if entry["action"] == "conversation_resumed":
        what = "câu hỏi đánh giá" if to == "resolved" else "thông báo trả lại cho trợ lý"
        return {"text": f"Trợ lý đã hoạt động lại với người dùng này, nhưng {what} không gửi được: {reason}.", "retry": None}
    if call == "pause":
        return {"text": f"Đã nhận hồ sơ, nhưng chưa tạm dừng được trợ lý: {reason}. Trợ lý có thể vẫn tự trả lời người dùng.",
                "retry": {"action": f"/cases/{case['id']}/take", "to": None}}
    done = "Đã đánh dấu hồ sơ đã giải quyết" if to == "resolved" else "Đã trả hồ sơ cho trợ lý"
    return {"text": f"{done}, nhưng chưa báo được cho máy chủ trợ lý: {reason}. Trợ lý có thể vẫn đang tạm dừng với "
                    f"người dùng này{' và chưa hỏi đánh giá' if to == 'resolved' else ''}.",
            "retry": {"action": f"/cases/{case['id']}/status", "to": to}}


def transcript_lines(events: List[dict]) -> List[dict]:
    """The user and bot messages of a tracker's events (text only; HTML is shown as text by the template)."""
    lines = []
    for e in events or ():
        if e.get("event") in ("user", "bot") and (e.get("text") or "").strip():
            ts = e.get("timestamp")
            when = dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None) if isinstance(ts, (int, float)) else None
            lines.append({"who": e["event"], "text": e["text"], "at": when})
    return lines


def _officers(request: web.Request, province: Optional[str]) -> List[dict]:
    if not province:
        return []
    return [s for s in repo.list_staff(request.app["engine"], province=province, active_only=True) if s["role"] == "officer"]


def _escalation_targets(province: Optional[str]) -> List[dict]:
    if not province:
        return []
    try:
        p = directory.by_name(province)
    except UnknownProvince:
        return []
    targets = []
    for kind in ESCALATION_KINDS:
        office = p.office(kind)
        if office.name:
            targets.append({"kind": kind, "name": office.name, "address": office.address, "phone": office.phone, "label": KIND_LABELS[kind]})
    return targets


def referral_text(case: dict, organisation: str, staff: dict, topic_label: str) -> str:
    """The default text sent with an escalation (staff may edit it before recording it)."""
    lines = [
        f"Kính gửi {organisation},",
        "",
        f"Công đoàn xin chuyển hồ sơ số {case['id']} của người lao động đề nghị Quý cơ quan hỗ trợ.",
        f"Tỉnh/thành: {case['province'] or 'chưa rõ'}. Vấn đề: {topic_label or 'chưa rõ'}.",
    ]
    if case["description"]:
        lines.append(f"Nội dung người lao động trình bày: {case['description']}")
    facts = case["facts"] or {}
    if facts:
        lines.append("Thông tin đã thu thập: " + "; ".join(f"{k}: {v}" for k, v in facts.items()))
    if case["contact"]:
        lines.append(f"Cách liên hệ người lao động: {case['contact']}")
    lines += ["", "Người lao động đã đồng ý chia sẻ thông tin với cán bộ công đoàn.",
              f"Cán bộ chuyển hồ sơ: {staff['display_name'] or staff['username']}."]
    return "\n".join(lines)


# --- login ------------------------------------------------------------------------------------------------


def _safe_next(value: Optional[str]) -> Optional[str]:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


async def login_page(request: web.Request) -> web.Response:
    if request["staff"]:
        raise web.HTTPFound(auth.ROLE_HOME[request["staff"]["role"]])
    return _login_form(request, status=200)


def _login_form(request: web.Request, *, status: int, error: Optional[str] = None, username: str = "") -> web.Response:
    response = web.Response(status=status, content_type="text/html", charset="utf-8")
    nonce = auth.login_nonce(request, response)
    next_ = _safe_next(request.query.get("next") or (request.get("form") or {}).get("next"))
    response.text = request.app["render_text"](request, "login.html", {
        "csrf_token": auth.csrf_token(request.app["settings"].secret, nonce), "error": error,
        "username": username, "next": next_ or "",
    })
    return response


async def login(request: web.Request) -> web.Response:
    form = _form(request)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    if not username or not password:
        return _login_form(request, status=400, error="Vui lòng nhập tên đăng nhập và mật khẩu.", username=username)
    try:
        auth.check_throttle(request, username)
    except auth.Throttled:
        minutes = int(request.app["settings"].throttle_window.total_seconds() // 60) or 1
        return _login_form(request, status=429, username=username, error=(
            f"Đăng nhập sai quá nhiều lần. Vì an toàn, việc đăng nhập tạm dừng; vui lòng thử lại sau {minutes} phút "
            "hoặc liên hệ giám sát viên để được đặt lại mật khẩu."))
    staff = await auth.authenticate(request, username, password)
    if staff is None:
        return _login_form(request, status=401, username=username, error="Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khoá.")
    response = web.HTTPFound(_safe_next(str(form.get("next") or "")) or auth.ROLE_HOME[staff["role"]])
    auth.start_session(request, response, staff["id"])
    repo.audit(request.app["engine"], "staff_login", staff_id=staff["id"])
    raise response


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPFound("/login")
    repo.audit(request.app["engine"], "staff_logout", staff_id=_staff(request)["id"])
    auth.end_session(request, response)
    raise response


# --- inbox ------------------------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    staff = _staff(request)
    if staff["role"] == "programme_manager":
        raise web.HTTPFound("/figures")
    ctx = _inbox(request)
    ctx.update(queries.known_values(request.app["engine"]))
    ctx["statuses"] = [(s, STATUS_LABELS[s]) for s in CASE_STATUSES]
    ctx["ages"] = [(k, label) for k, (label, _) in AGE_FILTERS.items()]
    ctx["office_open"] = request.app["settings"].office_hours.is_open()
    return request.app["render"](request, "inbox.html", ctx)


@auth.require("officer", "supervisor")
async def inbox_rows(request: web.Request) -> web.Response:
    """The inbox's lists as an HTML fragment, fetched by the page every few seconds."""
    response = request.app["render"](request, "inbox_rows.html", _inbox(request))
    return response


# --- case page --------------------------------------------------------------------------------------------


async def case_page(request: web.Request, *, error: Optional[str] = None, status: int = 200,
                    reply_text: str = "", canned_key: str = "") -> web.Response:
    case = _case_or_404(request)
    eng, staff = request.app["engine"], _staff(request)
    transcript, transcript_error = [], None
    if case["sender_id"]:
        try:
            transcript = transcript_lines(await request.app["transcript_reader"](case["sender_id"]))
        except TranscriptUnavailable as err:
            transcript_error = str(err) or "Không đọc được cuộc trò chuyện từ Rasa."
    repo.audit(eng, "case_viewed", case_id=case["id"], staff_id=staff["id"])  # full personal numbers are on this page
    staff_names = {s["id"]: s["display_name"] or s["username"] for s in repo.list_staff(eng)}
    ctx = {
        "case": case, "status_label": STATUS_LABELS[case["status"]], "transcript": transcript,
        "transcript_error": transcript_error, "messages": repo.messages(eng, case["id"]),
        "notes": repo.notes(eng, case["id"]), "referrals": repo.referrals(eng, case["id"]),
        "officers": [o for o in _officers(request, case["province"])],
        "targets": _escalation_targets(case["province"]), "staff_names": staff_names,
        "error": error, "open": case["status"] != "resolved",
        "age": age_text(_age(case["created_at"], repo.now())),
        "can": {s: s in repo.TRANSITIONS[case["status"]] for s in CASE_STATUSES},
        "assignments": repo.assignments(eng, case["id"]),
        "canned": canned_replies(_today()), "canned_key": canned_key, "reply_text": reply_text,
        "reply_limit": REPLY_LIMIT, "can_reply": case["status"] != "resolved" and bool(case["sender_id"]),
        "channel_label": CHANNEL_LABELS.get(case["channel"], case["channel"]),
        "notice": relay_notice(request, case),
    }
    return request.app["render"](request, "case.html", ctx, status=status)


async def add_note(request: web.Request) -> web.Response:
    case = _case_or_404(request)
    text = str(_form(request).get("text") or "").strip()
    if not text:
        return await case_page(request, error="Ghi chú trống: vui lòng nhập nội dung.", status=400)
    repo.add_note(request.app["engine"], case["id"], _staff(request)["id"], text[:5000])
    raise _redirect_case(case["id"], "#ghi-chu")


async def reply(request: web.Request) -> web.Response:
    """A staff message to the user, delivered in the user's channel through Rasa ("Chèn": a canned reply into
    the text box instead, for browsers without JavaScript)."""
    case = _case_or_404(request)
    eng, staff, form = request.app["engine"], _staff(request), _form(request)
    text = str(form.get("text") or "").replace("\r\n", "\n").strip()
    if str(form.get("do") or "") == "insert":
        key = str(form.get("canned") or "")
        chosen = next((c for c in canned_replies(_today()) if c["key"] == key), None)
        if chosen is None:
            return await case_page(request, error="Vui lòng chọn một câu trả lời mẫu.", status=400, reply_text=text)
        return await case_page(request, reply_text=f"{text}\n\n{chosen['text']}" if text else chosen["text"], canned_key=key)
    if case["status"] == "resolved":
        return await case_page(request, error="Hồ sơ đã giải quyết: không gửi tin nhắn cho người dùng được nữa.", status=409)
    if not case["sender_id"]:
        return await case_page(request, error="Dữ liệu của người dùng đã xoá: không còn kênh để gửi tin nhắn.", status=409)
    if not text:
        return await case_page(request, error="Tin nhắn trống: vui lòng nhập nội dung trả lời.", status=400)
    if len(text) > REPLY_LIMIT:
        return await case_page(request, status=400, reply_text=text, error=(
            f"Tin nhắn dài {len(text)} ký tự, quá giới hạn {REPLY_LIMIT} ký tự: vui lòng rút ngắn hoặc chia thành nhiều tin."))

    message_id = repo.add_message(eng, case["id"], "staff", text, staff_id=staff["id"], delivery_status="sent")
    d = await request.app["relay"].deliver(case["sender_id"], text, staff=_staff_name(staff))
    status = d.status if d.status in DELIVERY_LABELS else "undeliverable"
    repo.set_delivery(eng, message_id, status, d.reason, platform_message_id=d.platform_message_id)
    repo.audit(eng, "staff_reply", case_id=case["id"], staff_id=staff["id"], detail={
        "message": message_id, "delivery": status, "channel": d.channel, "platform_message_id": d.platform_message_id})
    if case["status"] in ("waiting", "bot"):
        await _set_status(request, case, "with_staff")
    if case["assigned_staff_id"] is None and staff["role"] == "officer":
        repo.assign(eng, case["id"], staff["id"], by=staff["id"])
    raise _redirect_case(case["id"], "#tin-nhan")


async def assign(request: web.Request) -> web.Response:
    case = _case_or_404(request)
    try:
        target = int(_form(request).get("staff_id") or 0)
    except ValueError:
        target = 0
    if target not in {o["id"] for o in _officers(request, case["province"])}:
        return await case_page(request, error="Chỉ có thể giao hồ sơ cho cán bộ đang hoạt động của tỉnh/thành này.", status=400)
    if case["status"] == "resolved":
        return await case_page(request, error="Hồ sơ đã giải quyết, không giao lại được.", status=409)
    repo.assign(request.app["engine"], case["id"], target, by=_staff(request)["id"])
    raise _redirect_case(case["id"])


async def escalate(request: web.Request) -> web.Response:
    case = _case_or_404(request)
    form = _form(request)
    kind = str(form.get("kind") or "")
    target = next((t for t in _escalation_targets(case["province"]) if t["kind"] == kind), None)
    if target is None:
        return await case_page(request, error="Vui lòng chọn nơi chuyển hồ sơ trong danh bạ của tỉnh/thành.", status=400)
    text = str(form.get("text") or "").strip() or referral_text(case, target["name"], _staff(request), request.app["topic_label"](case["topic"]))
    if "escalated" not in repo.TRANSITIONS[case["status"]] and case["status"] != "escalated":
        return await case_page(request, error=f"Không thể chuyển hồ sơ đang ở trạng thái “{STATUS_LABELS[case['status']]}”.", status=409)
    eng, staff = request.app["engine"], _staff(request)
    with eng.begin() as conn:
        referral_id = repo.add_referral(conn, case["id"], target["name"], kind=kind, province=case["province"],
                                        topic=case["topic"], sent_text=text[:10000], staff_id=staff["id"])
        after = repo.set_status(conn, case["id"], "escalated", staff_id=staff["id"])
    await _notify_status(request, case, after)
    raise web.HTTPFound(f"/cases/{case['id']}/summary?referral={referral_id}")


async def change_status(request: web.Request) -> web.Response:
    """Resolve, or hand back to the bot (the case stays open)."""
    case = _case_or_404(request)
    form = _form(request)
    to = str(form.get("to") or "")
    if to not in ("resolved", "bot"):
        return await case_page(request, error="Thao tác không hợp lệ.", status=400)
    error = await _set_status(request, case, to)
    if error:
        return await case_page(request, error=error, status=409)
    # Tell Rasa on a change, or when staff retry after a failure (the status is already the one asked for).
    warn = None
    if case["sender_id"] and (case["status"] != to or str(form.get("retry") or "") == "1"):
        warn = await _resume(request, case, to)
    raise _redirect_with_notice(case["id"], warn)


async def take(request: web.Request) -> web.Response:
    """The officer takes the case on (assigned to them); the bot is paused while they handle it."""
    case = _case_or_404(request)
    staff = _staff(request)
    if staff["role"] != "officer" or case["status"] == "resolved":
        return await case_page(request, error="Chỉ cán bộ của tỉnh/thành mới nhận được hồ sơ đang mở.", status=400)
    if case["assigned_staff_id"] != staff["id"]:  # a retry of the pause does not assign twice
        repo.assign(request.app["engine"], case["id"], staff["id"], by=staff["id"])
    warn = await _pause(request, case) if case["sender_id"] else None
    raise _redirect_with_notice(case["id"], warn)


async def summary(request: web.Request) -> web.Response:
    """A printable summary to send with an escalation (full details: audited like the case page)."""
    case = _case_or_404(request)
    eng = request.app["engine"]
    refs = repo.referrals(eng, case["id"])
    try:
        chosen = int(request.query.get("referral", "0"))
    except ValueError:
        chosen = 0
    referral = next((r for r in refs if r["id"] == chosen), refs[-1] if refs else None)
    repo.audit(eng, "case_summary_viewed", case_id=case["id"], staff_id=_staff(request)["id"])
    return request.app["render"](request, "summary.html", {
        "case": case, "status_label": STATUS_LABELS[case["status"]], "referral": referral,
        "notes": repo.notes(eng, case["id"]), "printed_at": repo.now(),
    })


# --- accounts (supervisors) -------------------------------------------------------------------------------


@auth.require("supervisor")
async def staff_page(request: web.Request, *, error: Optional[str] = None, done: Optional[str] = None, status: int = 200) -> web.Response:
    return request.app["render"](request, "staff.html", {
        "accounts": repo.list_staff(request.app["engine"]), "roles": [(r, ROLE_LABELS[r]) for r in ROLES],
        "provinces": [p.name for p in directory.provinces()], "error": error, "done": done,
    }, status=status)


@auth.require("supervisor")
async def create_account(request: web.Request) -> web.Response:
    form = _form(request)
    username = str(form.get("username") or "").strip().lower()
    password = str(form.get("password") or "")
    role = str(form.get("role") or "")
    province = str(form.get("province") or "").strip() or None
    display = str(form.get("display_name") or "").strip() or None
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        return await staff_page(request, error="Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới, gạch ngang.", status=400)
    if len(password) < 10:
        return await staff_page(request, error="Mật khẩu cần ít nhất 10 ký tự.", status=400)
    if role not in ROLES:
        return await staff_page(request, error="Vui lòng chọn vai trò.", status=400)
    if role == "officer" and province not in {p.name for p in directory.provinces()}:
        return await staff_page(request, error="Cán bộ công đoàn cần có tỉnh/thành phụ trách.", status=400)
    if repo.staff_by_username(request.app["engine"], username):
        return await staff_page(request, error="Tên đăng nhập này đã có.", status=409)
    repo.create_staff(request.app["engine"], username, password, role, province=province if role == "officer" else None,
                      display_name=display, by=_staff(request)["id"])
    return await staff_page(request, done=f"Đã tạo tài khoản “{username}”.")


def _account(request: web.Request) -> dict:
    try:
        account = repo.get_staff(request.app["engine"], int(request.match_info["staff_id"]))
    except ValueError:
        account = None
    if account is None:
        raise web.HTTPNotFound(text="Không tìm thấy tài khoản.")
    return account


@auth.require("supervisor")
async def set_active(request: web.Request) -> web.Response:
    account = _account(request)
    active = str(_form(request).get("active")) == "1"
    if account["id"] == _staff(request)["id"] and not active:
        return await staff_page(request, error="Anh/chị không thể tự khoá tài khoản của mình.", status=400)
    repo.set_active(request.app["engine"], account["id"], active, by=_staff(request)["id"])
    return await staff_page(request, done=f"Đã {'mở khoá' if active else 'khoá'} tài khoản “{account['username']}”.")


@auth.require("supervisor")
async def reset_password(request: web.Request) -> web.Response:
    account = _account(request)
    password = str(_form(request).get("password") or "")
    if len(password) < 10:
        return await staff_page(request, error="Mật khẩu mới cần ít nhất 10 ký tự.", status=400)
    repo.set_password(request.app["engine"], account["id"], password, by=_staff(request)["id"])
    return await staff_page(request, done=f"Đã đặt lại mật khẩu cho “{account['username']}”; các phiên đăng nhập cũ đã kết thúc.")


# --- figures (programme managers, supervisors) ------------------------------------------------------------


@auth.require("programme_manager", "supervisor")
async def figures(request: web.Request) -> web.Response:
    data = queries.figures(request.app["engine"])
    return request.app["render"](request, "figures.html", {"data": data, "statuses": [(s, STATUS_LABELS[s]) for s in CASE_STATUSES]})
