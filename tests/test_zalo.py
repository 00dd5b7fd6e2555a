"""Zalo OA connector against a local stand-in of the Zalo API (configurable API base).

Client behaviour (token refresh, reuse, 5xx with backoff, one refresh for many senders) is tested
directly; the webhook end to end through a running Rasa server.
"""
import asyncio
import datetime as dt
import json
import os
import time

import pytest
from aiohttp import web

from actions.ratelimit import DEFAULT_RATE_LIMIT, RATE_LIMIT_REPLY, parse_rate_limit
from channels.zalo import ZaloOutput, numbered, signature, verify
from channels.zalo_client import ZaloApiError, ZaloAuthError, ZaloClient
from channels.zalo_store import ZaloStore
from tests.servers import assistant, post_webhook
from tests.standins import StandIn

APP_ID = "4321"
APP_SECRET = "app-secret"
OA_SECRET = "oa-secret-key"


class ZaloApi(StandIn):
    """Customer-service message API and OAuth token endpoint, with scripted failures."""

    def __init__(self):
        super().__init__()
        self.valid_access = {"AT-1"}
        self.current_refresh = "RT-1"
        self.used_refresh = set()
        self.fail_5xx = 0
        self.sent = []
        self.issued = 1

    def routes(self, app):
        app.router.add_post("/v3.0/oa/message/cs", self.cs)
        app.router.add_post("/v4/oa/access_token", self.token)

    async def cs(self, request):
        body = await request.json()
        self.calls.append(("cs", request.headers.get("access_token"), body))
        if self.fail_5xx > 0:
            self.fail_5xx -= 1
            return web.json_response({"error": -1, "message": "busy"}, status=502)
        if request.headers.get("access_token") not in self.valid_access:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        self.sent.append(body)
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": str(len(self.sent))}})

    async def token(self, request):
        form = await request.post()
        self.calls.append(("token", request.headers.get("secret_key"), dict(form)))
        rt = form.get("refresh_token")
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return web.json_response({"error": -14002, "message": "invalid app"})
        if rt in self.used_refresh or rt != self.current_refresh:
            return web.json_response({"error": -14020, "message": "Refresh token is invalid"})
        await asyncio.sleep(0.1)  # a slow authorisation server makes racing refreshes visible
        self.used_refresh.add(rt)
        self.issued += 1
        self.valid_access = {f"AT-{self.issued}"}
        self.current_refresh = f"RT-{self.issued}"
        return web.json_response({"access_token": f"AT-{self.issued}", "refresh_token": self.current_refresh, "expires_in": "90000"})

    def to(self, user_id):
        return [b["message"]["text"] for b in self.sent if b["recipient"]["user_id"] == user_id]

    def wait_for(self, user_id, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.to(user_id)) >= count:
                return self.to(user_id)
            time.sleep(0.2)
        raise AssertionError(f"nothing sent to {user_id}: {self.calls}")


@pytest.fixture()
def api():
    return ZaloApi().start()


def client_for(api, tmp_path, access="AT-0", refresh="RT-1"):
    store = ZaloStore(f"sqlite:///{tmp_path}/zalo-{time.time_ns()}.db")
    store.seed_tokens(access, refresh)
    return ZaloClient(store, APP_ID, APP_SECRET, api_base=api.url, oauth_base=api.url, backoff=0.05), store


# --- signature ---------------------------------------------------------------------------------------------

def test_signature_is_sha256_of_app_id_body_timestamp_secret():
    body = b'{"a":1}'
    sig = signature(APP_ID, body, "1717061839659", OA_SECRET)
    import hashlib

    assert sig == hashlib.sha256(b"4321" + body + b"1717061839659" + b"oa-secret-key").hexdigest()
    assert verify(sig, APP_ID, body, "1717061839659", OA_SECRET)
    assert verify("mac=" + sig, APP_ID, body, "1717061839659", OA_SECRET)
    assert not verify(sig, APP_ID, body + b" ", "1717061839659", OA_SECRET)
    assert not verify("", APP_ID, body, "1717061839659", OA_SECRET)


def test_buttons_become_numbered_choices():
    text = numbered("Chọn chủ đề:", [{"title": "BHXH tự nguyện"}, {"title": "BHYT"}])
    assert "1. BHXH tự nguyện" in text and "2. BHYT" in text


# --- client ----------------------------------------------------------------------------------------------------

async def test_expired_token_is_refreshed_and_the_message_resent(api, tmp_path):
    client, store = client_for(api, tmp_path)
    await client.send_text("u1", "xin chào")
    assert api.to("u1") == ["xin chào"]
    assert store.tokens().access_token == "AT-2" and store.tokens().refresh_token == "RT-2"
    assert client.refreshes == 1


async def test_many_senders_share_one_refresh(api, tmp_path):
    client, store = client_for(api, tmp_path)
    await asyncio.gather(*(client.send_text(f"u{i}", "chào") for i in range(5)))
    assert client.refreshes == 1 and len(api.sent) == 5
    assert sum(1 for c in api.calls if c[0] == "token") == 1


async def test_reused_refresh_token_is_an_auth_error(api, tmp_path):
    api.used_refresh.add("RT-1")
    client, _ = client_for(api, tmp_path)
    with pytest.raises(ZaloAuthError) as err:
        await client.send_text("u1", "chào")
    assert err.value.code == -14020


async def test_5xx_is_retried_with_backoff(api, tmp_path):
    client, _ = client_for(api, tmp_path, access="AT-1")
    api.fail_5xx = 2
    t0 = time.perf_counter()
    await client.send_text("u1", "chào")
    assert api.to("u1") == ["chào"] and time.perf_counter() - t0 >= 0.15  # 0.05 + 0.1


async def test_persistent_5xx_gives_up(api, tmp_path):
    client, _ = client_for(api, tmp_path, access="AT-1")
    api.fail_5xx = 10
    with pytest.raises(ZaloApiError):
        await client.send_text("u1", "chào")


async def test_outside_the_48_hour_window_is_reported_not_sent(api, tmp_path):
    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("old", at=dt.datetime.utcnow() - dt.timedelta(hours=49))
    await ZaloOutput(client, store).send_text_message("old", "nhắc hạn đóng BHXH")
    assert api.to("old") == []
    assert store.undelivered("old")[0]["reason"].startswith("more than 48 hours")


async def test_eight_unanswered_messages_then_stop(api, tmp_path):
    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("u9")
    out = ZaloOutput(client, store)
    for i in range(10):
        await out.send_text_message("u9", f"tin {i}")
    assert len(api.to("u9")) == 8 and len(store.undelivered("u9")) == 2


async def test_a_staff_reply_inside_the_window_is_delivered_with_zalos_message_id(api, tmp_path):
    from channels.takeover import deliver

    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("z1")
    out = ZaloOutput(client, store)
    result = await deliver("zalo", "z1", "Chào anh, tôi là cán bộ công đoàn", [], [_Channel("zalo", out)])
    assert (result.status, result.platform_message_id) == ("delivered", "1")
    assert api.to("z1") == ["Chào anh, tôi là cán bộ công đoàn"]


async def test_a_staff_reply_outside_the_48_hours_is_undeliverable_with_the_reason(api, tmp_path):
    from channels.takeover import deliver

    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("z2", at=dt.datetime.utcnow() - dt.timedelta(hours=50))
    result = await deliver("zalo", "z2", "Chào chị", [], [_Channel("zalo", ZaloOutput(client, store))])
    assert result.status == "undeliverable" and "48 giờ" in result.reason
    assert api.to("z2") == []


async def test_a_refused_staff_reply_is_undeliverable_not_retried(api, tmp_path):
    from channels.takeover import deliver

    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("z3")
    api.fail_5xx = 100  # Zalo down: bounded retries inside the client, then a status
    result = await deliver("zalo", "z3", "Chào chị", [], [_Channel("zalo", ZaloOutput(client, store))])
    assert result.status == "undeliverable" and "Zalo" in result.reason
    assert len([c for c in api.calls if c[0] == "cs"]) == client.retries


async def test_a_campaign_to_zalo_users_records_the_one_outside_the_window_with_its_reason(api, tmp_path):
    from cases import db
    from channels.takeover import deliver
    from outreach import campaigns, subscriptions
    from outreach.scheduler import Settings, _parse_at, run_once

    url = f"sqlite:///{tmp_path}/cases.db"
    db.upgrade(url)
    eng = db.make_engine(url)
    client, store = client_for(api, tmp_path, access="AT-1")
    store.user_wrote("zin")
    store.user_wrote("zold", at=dt.datetime.utcnow() - dt.timedelta(hours=72))
    for user in ("zin", "zold"):
        subscriptions.subscribe(eng, user, "zalo", "news", "…")
    channels = [_Channel("zalo", ZaloOutput(client, store))]

    async def send(channel, sender_id, text, buttons):
        d = await deliver(channel, sender_id, text, buttons, channels)
        return d.status, d.reason

    cid = campaigns.create_campaign(eng, None, "Tin", "Tin chính sách mới.", {})
    campaigns.schedule(eng, cid, _parse_at("2030-01-02T09:00"), now_=_parse_at("2030-01-01T09:00"))
    report = await run_once(eng, _parse_at("2030-01-02T09:30"), send, Settings(pause_seconds=0))
    assert report.statuses == {"delivered": 1, "undeliverable": 1}
    assert api.to("zin") and api.to("zold") == []
    with eng.connect() as conn:
        from cases.schema import outreach_deliveries as t
        rows = {r.key: (r.status, r.reason) for r in conn.execute(t.select())}
    assert any(status == "undeliverable" and "48 giờ" in reason for status, reason in rows.values())
    await run_once(eng, _parse_at("2030-01-02T10:30"), send, Settings(pause_seconds=0))
    assert len(api.to("zin")) == 1  # not again, and the refused one is not retried
    eng.dispose()


class _Channel:
    """An input channel as Rasa lists it, giving the output channel under test."""

    def __init__(self, name, out):
        self._name, self._out = name, out

    def name(self):
        return self._name

    def get_output_channel(self):
        return self._out


def test_seen_ids_survive_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path}/seen.db"
    assert ZaloStore(url).first_time("m1")
    ZaloStore._engines.clear()  # a new process
    assert not ZaloStore(url).first_time("m1")


# --- webhook end to end ---------------------------------------------------------------------------------------

def event(user_id, text, msg_id, ts_ms=None):
    return {"app_id": APP_ID, "event_name": "user_send_text", "sender": {"id": user_id}, "recipient": {"id": "oa"},
            "message": {"text": text, "msg_id": msg_id}, "timestamp": str(ts_ms or int(time.time() * 1000)),
            "user_id_by_app": "x"}


def post(port, ev, sig=None, prefix=""):
    raw = json.dumps(ev, ensure_ascii=False).encode()
    sig = sig if sig is not None else prefix + signature(APP_ID, raw, ev["timestamp"], OA_SECRET)
    return post_webhook(f"http://127.0.0.1:{port}/webhooks/zalo/webhook", raw, {"X-ZEvent-Signature": sig})


@pytest.fixture(scope="module")
def zalo_rasa(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zalo")
    stand_in = ZaloApi().start()
    credentials = (
        "rest:\n"
        "channels.zalo.ZaloInput:\n"
        f"  app_id: \"{APP_ID}\"\n  app_secret: \"{APP_SECRET}\"\n  oa_secret_key: \"{OA_SECRET}\"\n"
        "  access_token: \"AT-0\"\n  refresh_token: \"RT-1\"\n"
        f"  database_url: \"sqlite:///{tmp}/zalo.db\"\n"
        f"  api_base: \"{stand_in.url}\"\n  oauth_base: \"{stand_in.url}\"\n"
    )
    with assistant(tmp, credentials) as port:
        yield port, stand_in


def test_signed_event_is_answered_through_the_cs_api(zalo_rasa):
    port, api = zalo_rasa
    status, seconds = post(port, event("z1", "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền", "m-1"))
    assert status == 200
    text = "\n".join(api.wait_for("z1"))
    assert "22%" in text and "1.500.000 đồng" in text
    assert "1. " in text  # buttons as numbered choices
    assert any(c[0] == "token" for c in api.calls)  # AT-0 was expired: refreshed on the way


def test_numbered_choice_maps_to_the_offered_button(zalo_rasa):
    port, api = zalo_rasa
    post(port, event("z2", "xin chào", "m-2"))
    api.wait_for("z2")
    before = len(api.to("z2"))
    assert post(port, event("z2", "2", "m-3"))[0] == 200  # 2 = "BHYT hộ gia đình" in the greeting
    replies = api.wait_for("z2", before + 1)
    assert any("113.850 đồng" in r for r in replies[before:])


def test_mac_prefixed_signature_is_accepted(zalo_rasa):
    port, api = zalo_rasa
    assert post(port, event("z3", "chào bạn", "m-4"), prefix="mac=")[0] == 200
    api.wait_for("z3")


def test_duplicate_delivery_is_answered_once(zalo_rasa):
    port, api = zalo_rasa
    ev = event("z4", "lương tối thiểu vùng bao nhiêu", "m-5")
    assert post(port, ev)[0] == 200
    assert post(port, ev)[0] == 200
    api.wait_for("z4")
    time.sleep(3)
    assert len(api.to("z4")) == 1


def test_forged_and_stale_events_are_rejected(zalo_rasa):
    port, api = zalo_rasa
    assert post(port, event("z5", "xin chào", "m-6"), sig="0" * 64)[0] == 401
    assert post(port, event("z5", "xin chào", "m-7"), sig="")[0] == 401
    old = int((time.time() - 3600) * 1000)
    assert post(port, event("z5", "xin chào", "m-8", ts_ms=old))[0] == 401
    bad_app = event("z5", "xin chào", "m-9")
    bad_app["app_id"] = "9999"
    assert post(port, bad_app)[0] == 401
    time.sleep(1)
    assert api.to("z5") == []


def test_too_many_messages_get_the_polite_pause_message_from_the_action(zalo_rasa):
    port, api = zalo_rasa
    limit = parse_rate_limit(os.environ.get("ANSINH_RATE_LIMIT") or DEFAULT_RATE_LIMIT).messages
    for i in range(limit):
        assert post(port, event("z6", "lương tối thiểu vùng bao nhiêu", f"m-rl-{i}"))[0] == 200
        api.wait_for("z6", i + 1)
    assert post(port, event("z6", "lương tối thiểu vùng bao nhiêu", f"m-rl-{limit}"))[0] == 200
    replies = api.wait_for("z6", limit + 1)
    assert all("Vùng I" in r for r in replies[:limit])
    assert replies[limit] == RATE_LIMIT_REPLY
    assert post(port, event("z7", "lương tối thiểu vùng bao nhiêu", "m-rl-other"))[0] == 200
    assert "Vùng I" in api.wait_for("z7")[0]  # other users are not slowed down
