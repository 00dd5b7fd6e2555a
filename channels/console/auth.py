"""Login sessions, CSRF and login throttling of the staff console.

* The session cookie holds an opaque token; the database keeps only its sha256 (cases.repository sessions),
  with an expiry. The cookie is HttpOnly, SameSite=Strict, Secure when the console's base URL is https.
* CSRF: every form carries a hidden ``csrf_token``, an HMAC of the session token under the console's secret
  (before login, of a random nonce in a short-lived cookie). Every POST without the right one is refused 403.
* Throttling: failed logins are recorded (login_attempts); past the limit per username or per address within
  the window, the login is refused (429) before the password is even checked.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from typing import Awaitable, Callable, Optional

from aiohttp import web

from cases import repository as repo

SESSION_COOKIE = "ansinh_console_session"
LOGIN_COOKIE = "ansinh_console_login"
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = ("/login",)
ROLE_HOME = {"officer": "/", "supervisor": "/", "programme_manager": "/figures"}


def csrf_token(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def remote_addr(request: web.Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return (request.remote or "unknown")[:64]


def _set_cookie(response: web.StreamResponse, name: str, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict", secure=secure)


def start_session(request: web.Request, response: web.StreamResponse, staff_id: int) -> None:
    settings = request.app["settings"]
    token = repo.create_session(request.app["engine"], staff_id, ttl=settings.session_ttl)
    _set_cookie(response, SESSION_COOKIE, token, max_age=max(1, int(settings.session_ttl.total_seconds())), secure=settings.secure_cookies)
    response.del_cookie(LOGIN_COOKIE, path="/")


def end_session(request: web.Request, response: web.StreamResponse) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        repo.end_session(request.app["engine"], token)
    response.del_cookie(SESSION_COOKIE, path="/")


def login_nonce(request: web.Request, response: web.StreamResponse) -> str:
    """The pre-login nonce (new if the browser has none); the login form's csrf_token is derived from it."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    _set_cookie(response, LOGIN_COOKIE, nonce, max_age=3600, secure=request.app["settings"].secure_cookies)
    return nonce


class Throttled(Exception):
    pass


def check_throttle(request: web.Request, username: str) -> None:
    settings, eng = request.app["settings"], request.app["engine"]
    addr = remote_addr(request, settings.trust_forwarded_for)
    if repo.recent_failures(eng, username=username, window=settings.throttle_window) >= settings.throttle_per_username:
        raise Throttled()
    if repo.recent_failures(eng, remote_addr=addr, window=settings.throttle_window) >= settings.throttle_per_address:
        raise Throttled()


async def authenticate(request: web.Request, username: str, password: str) -> Optional[dict]:
    """argon2 takes tens of milliseconds: off the event loop. Records the attempt."""
    settings, eng = request.app["settings"], request.app["engine"]
    staff = await asyncio.get_running_loop().run_in_executor(None, repo.authenticate, eng, username, password)
    repo.record_login_attempt(eng, username, remote_addr(request, settings.trust_forwarded_for), staff is not None)
    return staff


def _refuse(request: web.Request, status: int, message: str) -> web.Response:
    render = request.app["render"]
    return render(request, "error.html", {"title": "Không thực hiện được", "message": message}, status=status)


@web.middleware
async def security(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Resolve the session, refuse a POST without the right CSRF token, send anonymous visitors to the login."""
    app = request.app
    token = request.cookies.get(SESSION_COOKIE, "")
    staff = repo.session_staff(app["engine"], token) if token else None
    request["staff"] = staff
    secret = app["settings"].secret
    request["csrf_token"] = csrf_token(secret, token) if staff else None
    public = request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES)

    if request.method == "POST":
        form = await request.post()
        request["form"] = form
        sent = str(form.get("csrf_token") or "")
        if staff:
            expected = request["csrf_token"]
        elif request.path == "/login" and request.cookies.get(LOGIN_COOKIE):
            expected = csrf_token(secret, request.cookies[LOGIN_COOKIE])
        else:
            expected = None
        if expected is None and not public:
            return _refuse(request, 403, "Phiên đăng nhập đã hết hạn hoặc chưa đăng nhập. Vui lòng đăng nhập lại.")
        if not expected or not sent or not hmac.compare_digest(sent, expected):
            return _refuse(request, 403, "Biểu mẫu không hợp lệ hoặc đã hết hạn. Vui lòng tải lại trang và thử lại.")
    elif request.method not in ("GET", "HEAD"):
        return _refuse(request, 405, "Phương thức không được hỗ trợ.")

    if staff is None and not public:
        if request.path.endswith(".json") or request.path.startswith("/inbox/") or request.headers.get("X-Requested-With"):
            return web.json_response({"error": "login_required"}, status=401)
        location = "/login"
        if request.method == "GET" and request.path != "/":
            location += "?next=" + request.path_qs.replace("&", "%26")
        raise web.HTTPFound(location)

    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
    return response


def require(*roles: str):
    """A handler only for these roles (403 for the others)."""

    def decorate(handler):
        async def wrapped(request: web.Request, **kwargs):
            staff = request["staff"]
            if staff is None or staff["role"] not in roles:
                return _refuse(request, 403, "Tài khoản của anh/chị không có quyền xem trang này.")
            return await handler(request, **kwargs)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate
