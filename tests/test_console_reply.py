"""Staff replies from the console (channels/console) that reach the user through Rasa's takeover webhooks, the
canned replies, and the pause / resume calls of taking a case on, handing it back and resolving it.

The console runs on aiohttp's test client over a real SQLite database migrated by Alembic (the fixtures of
tests/test_console.py); Rasa's ``/webhooks/staff/*`` is a stand-in: a real local aiohttp server that records
what it is sent and answers as each test configures it. The console finds it through its settings
(``rasa_url``, ``rasa_token``), i.e. through the default ``RasaRelay``.
"""
import asyncio
import datetime as dt
import re

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from cases import repository as repo
from channels.console import views
from channels.console.app import create_app
from channels.console.relay import UNREACHABLE, Delivery, RasaRelay, RelayError
from channels.console.settings import VN, load
from knowledge import compose, content
from knowledge.calculators.specs import SPECS
from knowledge.registry import problems, registry
from tests.servers import free_port
from tests.standins import StandIn
from tests.test_console import CCCD, PHONE, SI, Console, eng, reader, seeded  # noqa: F401 - fixtures

TOKEN = "takeover-test-token"
DEFAULTS = {
    "deliver": lambda body: (200, {"status": "delivered", "reason": None, "channel": "telegram", "platform_message_id": "tg-4242"}),
    "resume": lambda body: (200, {"status": "sent" if body.get("text") else None, "reason": None, "channel": "telegram",
                                  "platform_message_id": "tg-4243" if body.get("text") else None}),
    "pause": lambda body: (200, {"paused": True}),
}


class TakeoverStandIn(StandIn):
    """Rasa's /webhooks/staff/{deliver,resume,pause} (channels/takeover.py): records (call, body, Authorization)
    and answers from ``answers[call](body) -> (status, json)``, DEFAULTS otherwise; ``delay`` seconds first."""

    def __init__(self):
        super().__init__()
        self.answers, self.delay = {}, 0.0

    def routes(self, app):
        app.router.add_post("/webhooks/staff/{call}", self._handle)

    async def _handle(self, request):
        call = request.match_info["call"]
        body = await request.json()
        self.calls.append((call, body, request.headers.get("Authorization")))
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        status, answer = (self.answers.get(call) or DEFAULTS[call])(body)
        if isinstance(answer, str):
            return web.Response(text=answer, status=status)
        return web.json_response(answer, status=status)

    def of(self, call):
        return [body for c, body, _ in self.calls if c == call]


@pytest.fixture(scope="module")
def standin():
    return TakeoverStandIn().start()


@pytest.fixture
def rasa(standin):
    standin.calls.clear()
    standin.answers.clear()
    standin.delay = 0.0
    return standin


@pytest.fixture
async def make_console(eng, rasa):  # noqa: F811
    clients = []

    async def make(relay=None, **overrides):
        overrides.setdefault("rasa_url", rasa.url)
        overrides.setdefault("rasa_token", TOKEN)
        app = create_app(eng, load(env={}, **overrides), transcript_reader=reader, relay=relay)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return Console(client)

    yield make
    for c in clients:
        await c.close()


@pytest.fixture
async def console(make_console):
    return await make_console()


def today():
    return dt.datetime.now(VN).date()


def said(key, inputs, monkeypatch):
    """The text the console should send for a content entry (knowledge/content/conversation.yaml). Should the
    entry be missing, the console is given a stand-in text for it so the call itself is still checked."""
    try:
        return compose.say(key, today(), inputs)
    except KeyError:
        stand_in = f"[{key}]"
        real = views._say
        monkeypatch.setattr(views, "_say", lambda k, i: stand_in if k == key else real(k, i))
        return stand_in


def messages_section(page):
    return re.search(r'<section class="card" id="tin-nhan">(.*?)</section>', page, re.S).group(1)


def actions(eng, case_id):  # noqa: F811
    return [e["action"] for e in repo.audit_entries(eng, case_id=case_id)]


# --- replies ----------------------------------------------------------------------------------------------


async def test_a_reply_is_delivered_in_the_users_channel_and_the_case_moves_to_the_officer(console, seeded, eng, rasa):
    case_id, officer = seeded["tn"], seeded["staff"]["tn1"]
    await console.login("tn1")
    path = f"/cases/{case_id}"
    _, page = await console.get(path)
    assert 'id="reply-form"' in page and 'action="/cases/%d/reply"' % case_id in page
    assert "Kênh của người dùng: <strong>Telegram</strong>" in messages_section(page)

    text = "Chào anh, tôi là cán bộ công đoàn Tây Ninh.\nAnh gửi giúp tôi hợp đồng lao động nhé."
    r, _ = await console.post(f"{path}/reply", {"text": f"  {text}  ", "do": "send"})
    assert r.status == 302 and r.headers["Location"] == f"{path}#tin-nhan"

    (body,) = rasa.of("deliver")
    assert body == {"sender_id": "tg-1001", "text": text, "staff": "Cán bộ Minh"}
    assert rasa.calls[0][2] == f"Bearer {TOKEN}"
    (m,) = repo.messages(eng, case_id)
    assert (m["direction"], m["text"], m["staff_id"], m["delivery_status"], m["delivery_reason"]) == \
        ("staff", text, officer, "delivered", None)
    case = repo.get_case(eng, case_id)
    assert case["status"] == "with_staff" and case["assigned_staff_id"] == officer
    (entry,) = repo.audit_entries(eng, case_id=case_id, action="staff_reply")
    assert entry["detail"]["delivery"] == "delivered" and entry["detail"]["platform_message_id"] == "tg-4242"
    assert "Anh gửi giúp" not in str(entry["detail"])  # no message text in the audit log

    r, page = await console.get(f"{path}")
    section = messages_section(page)
    assert r.status == 200 and f'id="message-{m["id"]}"' in section
    assert "Cán bộ · Cán bộ Minh" in section and "Anh gửi giúp tôi hợp đồng lao động nhé." in section
    assert 'class="delivery d-delivered">Đã đến nơi<' in section
    assert 'id="case-status">Cán bộ đang xử lý<' in page

    # a second reply: "Đã gửi" (sent, not yet confirmed); the assignment is not repeated
    rasa.answers["deliver"] = lambda body: (200, {"status": "sent", "reason": None, "channel": "telegram", "platform_message_id": None})
    r, _ = await console.post(f"{path}/reply", {"text": "Anh còn đó không?"})
    assert r.status == 302
    _, page = await console.get(path)
    assert 'class="delivery d-sent">Đã gửi<' in messages_section(page)
    assert len(repo.assignments(eng, case_id)) == 1


async def test_an_undeliverable_reply_shows_why(console, seeded, eng, rasa):
    rasa.answers["deliver"] = lambda body: (200, {"status": "undeliverable", "channel": "zalo", "platform_message_id": None,
                                                  "reason": "Zalo chỉ cho trả lời trong hai ngày sau tin nhắn cuối của người dùng"})
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/reply", {"text": "Chào anh"})
    assert r.status == 302
    (m,) = repo.messages(eng, seeded["tn"])
    assert m["delivery_status"] == "undeliverable" and m["delivery_reason"].startswith("Zalo chỉ cho trả lời")
    _, page = await console.get(path)
    assert ('class="delivery d-undeliverable">Không gửi được: Zalo chỉ cho trả lời trong hai ngày sau tin nhắn cuối của người dùng<'
            in messages_section(page))


async def test_a_reply_when_rasa_is_down_is_recorded_as_undeliverable(make_console, seeded, eng, rasa):
    console = await make_console(rasa_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/reply", {"text": "Chào anh, tôi đã nhận hồ sơ."})
    assert r.status == 302
    (m,) = repo.messages(eng, seeded["tn"])
    assert (m["delivery_status"], m["delivery_reason"]) == ("undeliverable", UNREACHABLE)
    r, page = await console.get(r.headers["Location"])
    assert r.status == 200 and f"Không gửi được: {UNREACHABLE}" in messages_section(page)
    assert repo.get_case(eng, seeded["tn"])["status"] == "with_staff"  # the officer is on it all the same

    # Rasa answering 500 is the same to staff
    rasa.answers["deliver"] = lambda body: (500, "Internal Server Error")
    console = await make_console()
    await console.login("tn1")
    await console.get(path)
    await console.post(f"{path}/reply", {"text": "Anh còn đó không?"})
    last = repo.messages(eng, seeded["tn"])[-1]
    assert last["delivery_status"] == "undeliverable" and "mã 500" in last["delivery_reason"]


async def test_empty_too_long_resolved_and_csrf_less_replies_are_refused(console, seeded, eng, rasa):
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, text = await console.post(f"{path}/reply", {"text": " \n "})
    assert r.status == 400 and "Tin nhắn trống" in text
    long = "Chào anh. " * 401  # 4010 characters, 4009 once stripped
    r, text = await console.post(f"{path}/reply", {"text": long})
    assert r.status == 400 and "quá giới hạn 4000 ký tự" in text
    assert long.strip() in text  # kept in the text box, to be shortened
    r, text = await console.post(f"{path}/reply", {"text": "Chào anh"}, csrf=False)
    assert r.status == 403 and "Biểu mẫu không hợp lệ" in text
    repo.set_status(eng, seeded["tn"], "resolved")
    r, text = await console.post(f"{path}/reply", {"text": "Chào anh"})
    assert r.status == 409 and "Hồ sơ đã giải quyết" in text
    assert 'id="reply-form"' not in text and 'id="reply-closed"' in text
    assert repo.messages(eng, seeded["tn"]) == [] and rasa.calls == []


async def test_a_reply_needs_the_right_to_see_the_case(make_console, seeded, eng, rasa):
    tn = seeded["tn"]
    other = await make_console()
    await other.login("hn1")  # Hà Nội's officer: Tây Ninh's case is "not found", as on the case page
    await other.get("/")
    r, text = await other.post(f"/cases/{tn}/reply", {"text": "giả mạo"})
    assert r.status == 404 and "Không tìm thấy hồ sơ" in text and PHONE not in text
    assert "case_access_refused" in actions(eng, tn)
    manager = await make_console()
    await manager.login("pm")
    await manager.get("/figures")
    r, _ = await manager.post(f"/cases/{tn}/reply", {"text": "giả mạo"})
    assert r.status == 403
    assert repo.messages(eng, tn) == [] and rasa.calls == []
    assert repo.get_case(eng, tn)["status"] == "waiting" and repo.get_case(eng, tn)["assigned_staff_id"] is None


async def test_a_reply_keeps_an_escalated_case_escalated_and_a_supervisor_is_not_assigned(console, seeded, eng, rasa):
    repo.set_status(eng, seeded["hn"], "escalated")
    repo.set_status(eng, seeded["tn_b"], "bot")
    await console.login("sup")
    await console.get(f"/cases/{seeded['hn']}")
    r, _ = await console.post(f"/cases/{seeded['hn']}/reply", {"text": "Hồ sơ đã được chuyển trợ giúp pháp lý."})
    assert r.status == 302
    case = repo.get_case(eng, seeded["hn"])
    assert case["status"] == "escalated" and case["assigned_staff_id"] is None
    assert rasa.of("deliver")[0]["staff"] == "Giám sát viên Lan"
    await console.post(f"/cases/{seeded['tn_b']}/reply", {"text": "Chào chị"})
    assert repo.get_case(eng, seeded["tn_b"])["status"] == "with_staff"  # handed back to the bot, then a reply


async def test_an_erased_case_has_no_channel_to_reply_in(console, seeded, eng, rasa):
    repo.erase_case(eng, seeded["tn"])
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    _, page = await console.get(path)
    assert 'id="reply-form"' not in page and "không còn kênh để gửi tin nhắn" in page
    r, text = await console.post(f"{path}/reply", {"text": "Chào anh"})
    assert r.status == 409 and repo.messages(eng, seeded["tn"]) == []
    r, _ = await console.post(f"{path}/take")
    assert r.status == 302 and r.headers["Location"] == path
    r, _ = await console.post(f"{path}/status", {"to": "resolved"})
    assert r.status == 302 and r.headers["Location"] == path
    assert rasa.calls == []  # no sender id: nothing to pause or resume


# --- taking on, handing back, resolving -------------------------------------------------------------------


async def test_taking_a_case_pauses_the_bot(console, seeded, eng, rasa):
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/take")
    assert r.status == 302 and r.headers["Location"] == path
    assert rasa.of("pause") == [{"sender_id": "tg-1001"}]
    assert repo.get_case(eng, seeded["tn"])["assigned_staff_id"] == seeded["staff"]["tn1"]
    assert "conversation_paused" in actions(eng, seeded["tn"])


async def test_a_failed_pause_is_a_warning_with_a_retry_and_the_case_stays_taken(console, seeded, eng, rasa):
    rasa.answers["pause"] = lambda body: (404, {"error": "unknown conversation"})
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/take")
    assert r.status == 302 and r.headers["Location"].startswith(f"{path}?relay=")
    assert repo.get_case(eng, seeded["tn"])["assigned_staff_id"] == seeded["staff"]["tn1"]
    (failed,) = repo.audit_entries(eng, case_id=seeded["tn"], action="relay_failed")
    assert failed["detail"]["call"] == "pause"
    r, page = await console.get(r.headers["Location"])
    warning = re.search(r'id="relay-warning">(.*?)</div>', page, re.S).group(1)
    assert r.status == 200 and "chưa tạm dừng được trợ lý" in warning and "không tìm thấy cuộc trò chuyện" in warning
    assert f'action="/cases/{seeded["tn"]}/take"' in warning
    # another case's audit id shows nothing
    r, page = await console.get(f"/cases/{seeded['tn_b']}?relay={failed['id']}")
    assert 'id="relay-warning"' not in page
    # the retry pauses without assigning again
    rasa.answers.clear()
    r, _ = await console.post(f"{path}/take", {"retry": "1"})
    assert r.headers["Location"] == path and len(rasa.of("pause")) == 2
    assert len(repo.assignments(eng, seeded["tn"])) == 1


async def test_hand_back_resumes_the_bot_with_the_hand_back_notice(console, seeded, eng, rasa, monkeypatch):
    case_id = seeded["tn_b"]
    expected = said("case.handed_back", {"case_id": case_id}, monkeypatch)
    await console.login("tn2")
    path = f"/cases/{case_id}"
    await console.get(path)
    await console.post(f"{path}/take")
    r, _ = await console.post(f"{path}/status", {"to": "bot"})
    assert r.status == 302 and r.headers["Location"] == path
    assert repo.get_case(eng, case_id)["status"] == "bot"
    assert rasa.of("resume") == [{"sender_id": "web-77", "text": expected}]
    assert f"Hồ sơ số {case_id} vẫn mở" in expected or expected.startswith("[")
    (resumed,) = repo.audit_entries(eng, case_id=case_id, action="conversation_resumed")
    assert resumed["detail"]["to"] == "bot" and resumed["detail"]["delivery"] == "sent"
    assert "rating_requested" not in actions(eng, case_id)


async def test_resolving_asks_for_a_rating_with_five_buttons(console, seeded, eng, rasa, monkeypatch):
    case_id = seeded["tn"]
    expected = said("case.rate_request", {"case_id": case_id}, monkeypatch)
    await console.login("tn1")
    path = f"/cases/{case_id}"
    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "resolved"})
    assert r.status == 302 and r.headers["Location"] == path
    assert repo.get_case(eng, case_id)["status"] == "resolved"
    (body,) = rasa.of("resume")
    assert body["sender_id"] == "tg-1001" and body["text"] == expected
    assert body["buttons"] == [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
    (asked,) = repo.audit_entries(eng, case_id=case_id, action="rating_requested")
    assert asked["staff_id"] == seeded["staff"]["tn1"]
    assert repo.latest_case(eng, "tg-1001")["rating_pending"] is True
    # posting "resolved" again (a reload) asks nothing more
    await console.post(f"{path}/status", {"to": "resolved"})
    assert len(rasa.of("resume")) == 1


async def test_a_failed_resume_warns_keeps_the_status_and_asks_no_rating(make_console, seeded, eng, rasa):
    console = await make_console(rasa_url=f"http://127.0.0.1:{free_port()}")
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "resolved"})
    assert r.status == 302 and "?relay=" in r.headers["Location"]
    assert repo.get_case(eng, seeded["tn"])["status"] == "resolved"
    assert "rating_requested" not in actions(eng, seeded["tn"])
    r, page = await console.get(r.headers["Location"])
    assert r.status == 200
    warning = re.search(r'id="relay-warning">(.*?)</div>', page, re.S).group(1)
    assert "Đã đánh dấu hồ sơ đã giải quyết" in warning and UNREACHABLE in warning and "chưa hỏi đánh giá" in warning
    assert 'name="retry" value="1"' in warning and 'name="to" value="resolved"' in warning
    # Rasa is back: the retry asks for the rating
    console = await make_console()
    await console.login("tn1")
    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "resolved", "retry": "1"})
    assert r.headers["Location"] == path and len(rasa.of("resume")) == 1
    assert "rating_requested" in actions(eng, seeded["tn"])


async def test_a_resumed_conversation_whose_notice_was_undeliverable_is_said(console, seeded, eng, rasa):
    rasa.answers["resume"] = lambda body: (200, {"status": "undeliverable", "reason": "Người dùng đã chặn trợ lý",
                                                 "channel": "telegram", "platform_message_id": None})
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "bot"})
    r, page = await console.get(r.headers["Location"])
    assert "thông báo trả lại cho trợ lý không gửi được: Người dùng đã chặn trợ lý" in page
    assert repo.get_case(eng, seeded["tn"])["status"] == "bot"


# --- canned replies ---------------------------------------------------------------------------------------


def test_canned_replies_are_valid_content_in_plain_polite_vietnamese():
    entries = {k: e for k, e in content.content().entries.items() if k.startswith("canned.")}
    assert 6 <= len(entries) <= 8
    assert not [p for p in problems(registry(), content.content().entries, SPECS) if "canned" in p]
    data = yaml.safe_load(content.CONTENT_DIR.joinpath("canned.yaml").read_text(encoding="utf-8"))["canned"]
    assert set(data) == {k.split(".", 1)[1] for k in entries}
    for key in data:
        text = compose.say(f"canned.{key}", today())
        assert "anh/chị" in text and "tôi" in text.lower(), key
        assert data[key]["note"] and len(text) <= content.MAIN_TEXT_BUDGET
    assert "1900 9068" in compose.say("canned.insurance", today())  # the hotline, from knowledge/parameters/


async def test_canned_replies_are_offered_and_inserted_without_javascript(console, seeded, eng, rasa):
    await console.login("tn1")
    path = f"/cases/{seeded['tn']}"
    _, page = await console.get(path)
    options = re.findall(r'<option value="([a-z_]+)" data-text="([^"]*)"[^>]*>([^<]+)</option>', page)
    assert [o[0] for o in options] == list(views._canned_titles())
    greeting = compose.say("canned.greeting", today())
    assert ("greeting", greeting, "Chào, tôi đã nhận hồ sơ") in [(k, t, title) for k, t, title in options]
    assert '<script src="/static/case.js" defer></script>' in page
    r, _ = await console.get("/static/case.js")
    assert r.status == 200

    r, page = await console.post(f"{path}/reply", {"canned": "documents", "do": "insert", "text": ""})
    documents = compose.say("canned.documents", today())
    assert r.status == 200 and f">{documents}</textarea>" in page
    assert '<option value="documents" data-text' in page and 'selected>Hỏi hợp đồng lao động, phiếu lương' in page
    r, page = await console.post(f"{path}/reply", {"canned": "employer", "do": "insert", "text": "Chào anh."})
    assert f">Chào anh.\n\n{compose.say('canned.employer', today())}</textarea>" in page
    r, page = await console.post(f"{path}/reply", {"canned": "", "do": "insert", "text": "Chào anh."})
    assert r.status == 400 and "chọn một câu trả lời mẫu" in page and ">Chào anh.</textarea>" in page
    assert repo.messages(eng, seeded["tn"]) == [] and rasa.calls == []  # inserting sends nothing

    r, _ = await console.post(f"{path}/reply", {"canned": "documents", "do": "send", "text": documents})
    assert r.status == 302 and rasa.of("deliver")[0]["text"] == documents


# --- the inbox --------------------------------------------------------------------------------------------


async def test_the_inbox_marks_cases_whose_user_wrote_since_the_last_staff_reply(console, seeded, eng, rasa):
    tn, tn_b = seeded["tn"], seeded["tn_b"]
    officer = seeded["staff"]["tn1"]
    await console.login("tn1")

    def row(rows, case_id):
        return re.search(rf'<li class="([^"]*)" id="case-{case_id}">(.*?)</li>', rows, re.S).groups()

    _, rows = await console.get("/inbox/rows")
    assert "Tin mới" not in rows and "có tin mới" not in rows

    repo.add_message(eng, tn, "user", f"Tôi gửi thêm: số tôi {PHONE}, CCCD {CCCD}, sổ BHXH {SI}")
    _, rows = await console.get("/inbox/rows")
    cls, body = row(rows, tn)
    assert "unread" in cls and '<span class="badge new">Tin mới</span>' in body
    assert "1 hồ sơ có tin mới" in rows
    for number in (PHONE, CCCD, SI):
        assert number not in rows  # the preview is masked like the description
    assert "số tôi *******678" in body and "CCCD *********789" in body
    assert "unread" not in row(rows, tn_b)[0]

    repo.add_message(eng, tn, "staff", "Tôi đã nhận thông tin.", staff_id=officer)
    _, rows = await console.get("/inbox/rows")
    assert "Tin mới" not in row(rows, tn)[1] and "unread" not in row(rows, tn)[0]

    repo.add_message(eng, tn, "user", "Cảm ơn anh")
    repo.add_message(eng, tn, "bot", "Cán bộ sẽ trả lời anh/chị sớm.")  # the bot's words do not count
    _, rows = await console.get("/inbox/rows")
    assert "Tin mới" in row(rows, tn)[1] and "Người lao động: Cảm ơn anh" in row(rows, tn)[1]
    _, page = await console.get("/")
    assert '<span class="badge new">Tin mới</span>' in page

    # a reply from the console clears it
    await console.get(f"/cases/{tn}")
    await console.post(f"/cases/{tn}/reply", {"text": "Không có gì ạ."})
    _, rows = await console.get("/inbox/rows")
    assert "Tin mới" not in row(rows, tn)[1]


async def test_the_case_page_lists_the_users_messages_in_full(console, seeded, eng, rasa):
    repo.add_message(eng, seeded["tn"], "user", f"Số của tôi là {PHONE}")
    await console.login("tn1")
    _, page = await console.get(f"/cases/{seeded['tn']}")
    section = messages_section(page)
    assert f"Số của tôi là {PHONE}" in section and "Người lao động ·" in section
    assert 'class="delivery' not in section  # a user's message has no delivery status


# --- the relay client itself ------------------------------------------------------------------------------


async def test_the_relay_client_maps_every_failure_to_a_short_vietnamese_reason(rasa):
    relay = RasaRelay(rasa.url + "/", TOKEN, timeout=2)
    d = await relay.deliver("tg-1", "x" * 4100, buttons=[{"title": "Có", "payload": "/affirm"}], staff="Minh")
    assert d == Delivery("delivered", None, "telegram", "tg-4242") and d.ok
    body = rasa.of("deliver")[0]
    assert len(body["text"]) == 4000 and body["buttons"] == [{"title": "Có", "payload": "/affirm"}]

    d = await relay.resume("tg-1")
    assert d.status is None and d.accepted and rasa.of("resume")[-1] == {"sender_id": "tg-1"}

    for status, words in ((400, "không hợp lệ"), (404, "không tìm thấy cuộc trò chuyện"), (503, "chưa được cấu hình"),
                          (502, "mã 502")):
        rasa.answers["deliver"] = lambda body, s=status: (s, {"error": "x"})
        d = await relay.deliver("tg-1", "Chào")
        assert d.status == "undeliverable" and words in d.reason and not d.accepted, status
    rasa.answers["deliver"] = lambda body: (200, "<html>not json</html>")
    assert "không hợp lệ" in (await relay.deliver("tg-1", "Chào")).reason
    rasa.answers["deliver"] = lambda body: (200, {"status": "read"})
    assert (await relay.deliver("tg-1", "Chào")).status == "undeliverable"

    d = await RasaRelay(rasa.url, "wrong-token").deliver("tg-1", "Chào")
    assert "ANSINH_RASA_TOKEN" in d.reason
    rasa.delay = 1.0
    d = await RasaRelay(rasa.url, TOKEN, timeout=0.3).resume("tg-1", text="Chào")
    assert d.status == "undeliverable" and "không trả lời kịp" in d.reason
    with pytest.raises(RelayError, match="không trả lời kịp"):
        await RasaRelay(rasa.url, TOKEN, timeout=0.3).pause("tg-1")
    rasa.delay = 0.0

    await relay.pause("tg-1")
    rasa.answers["pause"] = lambda body: (200, {"paused": False})
    with pytest.raises(RelayError):
        await relay.pause("tg-1")
    with pytest.raises(RelayError, match="Không kết nối được máy chủ trợ lý"):
        await RasaRelay(f"http://127.0.0.1:{free_port()}", TOKEN).pause("tg-1")
