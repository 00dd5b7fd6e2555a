"""The Rasa HTTP API locked (issue 13, item 5), against a real Rasa started as tests/servers.py starts every
test Rasa and as `make run` starts it: ``--auth-token`` and ``--cors <the portal's origin>``.

Without the token, or with a wrong one, the API refuses to read a conversation or to add events to it (and
nothing is added); with it, both work. The channels stay reachable without any token: REST, the widget's
socket.io channel and its config route, Telegram and Zalo (each behind its own check). CORS headers go to the
allowed origin only.
"""
import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.servers import DEFAULT_CORS, RASA_TOKEN, ROOT, TOKENS, api_url, assistant, say, text_of
from tests.test_telegram import SECRET as TG_SECRET, TOKEN as TG_TOKEN, BotApiStandIn, post as tg_post, text_update
from tests.test_zalo import APP_ID, APP_SECRET, OA_SECRET, ZaloApi, event as zalo_event, post as zalo_post

EVIL = "http://evil.example"


def request(url, method="GET", body=None, headers=None):
    """(status, headers, body) of one HTTP request, errors included."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apilock")
    telegram, zalo = BotApiStandIn().start(), ZaloApi().start()
    credentials = (
        "rest:\n"
        "channels.widget_config.WidgetInput:\n"
        "  user_message_evt: user_uttered\n  bot_message_evt: bot_uttered\n  session_persistence: true\n"
        "channels.telegram.TelegramInput:\n"
        f"  access_token: \"{TG_TOKEN}\"\n  secret_token: \"{TG_SECRET}\"\n"
        f"  base_url: \"http://127.0.0.1:{telegram.port}/bot\"\n"
        "channels.zalo.ZaloInput:\n"
        f"  app_id: \"{APP_ID}\"\n  app_secret: \"{APP_SECRET}\"\n  oa_secret_key: \"{OA_SECRET}\"\n"
        "  access_token: \"AT-0\"\n  refresh_token: \"RT-1\"\n"
        f"  database_url: \"sqlite:///{tmp}/zalo.db\"\n"
        f"  api_base: \"{zalo.url}\"\n  oauth_base: \"{zalo.url}\"\n"
    )
    with assistant(tmp, credentials) as port:
        assert TOKENS[port] == RASA_TOKEN
        yield {"port": port, "telegram": telegram, "zalo": zalo}


def tracker_url(port, sender, token):
    return api_url(port, f"/conversations/{sender}/tracker", token)


def bot_texts(port, sender):
    status, _, body = request(tracker_url(port, sender, RASA_TOKEN))
    assert status == 200
    return [e.get("text") for e in json.loads(body)["events"] if e.get("event") == "bot"]


# --- the API ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["", "wrong-token", RASA_TOKEN + "x"], ids=["none", "wrong", "longer"])
def test_tracker_read_is_refused_without_the_token(locked, token):
    port = locked["port"]
    say(port, "lock-read", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền")
    status, _, body = request(tracker_url(port, "lock-read", token))
    assert status in (401, 403)
    assert "22%" not in body.decode(errors="replace") and "lock-read" not in body.decode(errors="replace")


@pytest.mark.parametrize("token", ["", "wrong-token"], ids=["none", "wrong"])
def test_event_append_is_refused_without_the_token_and_adds_nothing(locked, token):
    port = locked["port"]
    sender = f"lock-append-{token or 'none'}"
    injected = {"event": "bot", "text": f"INJECTED {uuid.uuid4().hex}", "timestamp": time.time()}
    status, _, _ = request(api_url(port, f"/conversations/{sender}/tracker/events", token), "POST", injected)
    assert status in (401, 403)
    status, _, _ = request(api_url(port, f"/conversations/{sender}/tracker/events", token), "PUT", [injected])
    assert status in (401, 403)
    assert injected["text"] not in bot_texts(port, sender)


def test_with_the_token_the_api_reads_and_appends(locked):
    port = locked["port"]
    say(port, "lock-ok", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền")
    status, _, body = request(tracker_url(port, "lock-ok", RASA_TOKEN))
    assert status == 200 and json.loads(body)["sender_id"] == "lock-ok"
    note = {"event": "bot", "text": "ghi chú của cán bộ", "timestamp": time.time()}
    status, _, _ = request(api_url(port, "/conversations/lock-ok/tracker/events", RASA_TOKEN), "POST", note)
    assert status == 200
    assert "ghi chú của cán bộ" in bot_texts(port, "lock-ok")


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("GET", "/conversations/lock-x/story", None),
    ("POST", "/conversations/lock-x/messages", {"text": "xin chào", "sender": "user"}),
    ("POST", "/conversations/lock-x/trigger_intent", {"name": "greet"}),
    ("POST", "/conversations/lock-x/execute", {"name": "action_respond"}),
    ("POST", "/conversations/lock-x/predict", None),
    ("POST", "/model/parse", {"text": "xin chào"}),
    ("PUT", "/model", {"model_file": "/nonexistent.tar.gz"}),
])
def test_every_other_api_route_is_locked(locked, method, path, body):
    status, _, _ = request(api_url(locked["port"], path, ""), method, body if body is not None else {})
    assert status in (401, 403), f"{method} {path} answered {status} without the token"


# --- the channels, without any token -----------------------------------------------------------------------

def test_rest_webhook_answers_without_the_token(locked):
    assert "22%" in text_of(say(locked["port"], "lock-rest", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"))


def test_widget_socketio_and_config_are_reachable_without_the_token(locked):
    port = locked["port"]
    status, _, body = request(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling")
    assert status == 200 and body.startswith(b"0{") and b"sid" in body  # an Engine.IO handshake
    status, _, body = request(f"http://127.0.0.1:{port}/webhooks/socketio/config")
    assert status == 200 and json.loads(body)


def test_telegram_webhook_is_reachable_without_the_token(locked):
    port, api = locked["port"], locked["telegram"]
    status, _ = tg_post(port, text_update(901, 9001, "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"))
    assert status == 200
    assert "22%" in "\n".join(r["text"] for r in api.wait_for(9001))
    assert tg_post(port, text_update(902, 9002, "xin chào"), secret="wrong")[0] == 403  # its own check still holds


def test_zalo_webhook_is_reachable_without_the_token(locked):
    port, api = locked["port"], locked["zalo"]
    status, _ = zalo_post(port, zalo_event("z-lock", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền", "m-lock-1"))
    assert status == 200
    assert "22%" in "\n".join(api.wait_for("z-lock"))


# --- CORS -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/webhooks/rest/", "/webhooks/socketio/config", "/socket.io/?EIO=4&transport=polling"])
def test_cors_headers_only_for_the_allowed_origin(locked, path):
    url = f"http://127.0.0.1:{locked['port']}{path}"
    _, headers, _ = request(url, headers={"Origin": DEFAULT_CORS})
    assert headers.get("Access-Control-Allow-Origin") == DEFAULT_CORS
    _, headers, _ = request(url, headers={"Origin": EVIL})
    assert headers.get("Access-Control-Allow-Origin") in (None, "")


def test_cors_preflight_only_for_the_allowed_origin(locked):
    url = f"http://127.0.0.1:{locked['port']}/webhooks/rest/webhook"
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    _, headers, _ = request(url, "OPTIONS", headers={"Origin": DEFAULT_CORS, **pre})
    assert headers.get("Access-Control-Allow-Origin") == DEFAULT_CORS
    _, headers, _ = request(url, "OPTIONS", headers={"Origin": EVIL, **pre})
    assert headers.get("Access-Control-Allow-Origin") in (None, "")


# --- make run ------------------------------------------------------------------------------------------------------

def test_make_run_starts_rasa_locked():
    script = (ROOT / "scripts" / "run.sh").read_text()
    start = re.search(r"\$BIN/rasa run --model[^\n]*\n[^\n]*", script).group(0)
    assert '--auth-token "$ANSINH_RASA_TOKEN"' in start and '--cors "*"' not in script
    assert "ANSINH_CORS_ORIGINS" in script and "status?token=" in script
    assert ".rasa-token" in (ROOT / ".gitignore").read_text().split()
