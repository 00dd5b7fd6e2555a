"""The staff console (channels/console) over HTTP: aiohttp's test client against the real application on a
temporary SQLite database migrated by Alembic, seeded with cases.repository. The transcript comes from an
injected reader (the default reader, against a real Rasa, is tested in tests/test_console_browser.py).
"""
import datetime as dt
import hashlib
import re
import subprocess
import sys
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from cases import db, repository as repo
from cases.schema import cases, staff_sessions
from channels.console import views
from channels.console.app import create_app
from channels.console.auth import SESSION_COOKIE
from channels.console.settings import load, office_hours
from tests.servers import ROOT

PASSWORDS = {"sup": "giam-sat-vien-1", "tn1": "can-bo-tay-ninh-1", "tn2": "can-bo-tay-ninh-2",
             "hn1": "can-bo-ha-noi-001", "pm": "quan-ly-chuong-trinh"}
PHONE, CCCD, SI = "0912345678", "079123456789", "7912345678"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def eng(tmp_path):
    url = f"sqlite:///{tmp_path}/cases.db"
    db.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(eng):
    """Accounts of two provinces and three cases: two in Tây Ninh, one in Hà Nội, one in Cà Mau (no officer)."""
    ids = {
        "sup": repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor", display_name="Giám sát viên Lan"),
        "tn1": repo.create_staff(eng, "tn1", PASSWORDS["tn1"], "officer", province="Tây Ninh", display_name="Cán bộ Minh"),
        "tn2": repo.create_staff(eng, "tn2", PASSWORDS["tn2"], "officer", province="Tây Ninh", display_name="Cán bộ Hoa"),
        "hn1": repo.create_staff(eng, "hn1", PASSWORDS["hn1"], "officer", province="Hà Nội"),
        "pm": repo.create_staff(eng, "pm", PASSWORDS["pm"], "programme_manager"),
    }
    tn = repo.open_or_extend_case(
        eng, "tg-1001", "telegram", topic="wage_arrears", province="Tây Ninh",
        description=f"Công ty nợ lương 3 tháng. SĐT {PHONE}, CCCD {CCCD}, số BHXH {SI}",
        summary=f"nợ lương, gọi {PHONE}", contact=f"Zalo {PHONE}", facts={"months_unpaid": 3, "employer": "Công ty A"},
    ).case_id
    tn_b = repo.open_or_extend_case(eng, "web-77", "socketio", topic="maternity", province="Tây Ninh", description="hỏi chế độ thai sản").case_id
    hn = repo.open_or_extend_case(eng, "tg-2002", "telegram", topic="wage_arrears", province="Hà Nội",
                                  description=f"bị sa thải, gọi {PHONE}").case_id
    cm = repo.open_or_extend_case(eng, "rest-9", "rest", topic="dismissal", province="Cà Mau", description="bị đuổi việc").case_id
    return {"staff": ids, "tn": tn, "tn_b": tn_b, "hn": hn, "cm": cm}


TRANSCRIPTS = {
    "tg-1001": [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "<script>alert('x')</script> công ty nợ lương", "timestamp": 1_764_000_000.0},
        {"event": "bot", "text": "Anh/chị có đồng ý chia sẻ cuộc trò chuyện với cán bộ công đoàn không?", "timestamp": 1_764_000_001.0},
        {"event": "user", "text": f"có, số tôi {PHONE}", "timestamp": 1_764_000_002.0},
        {"event": "bot", "text": ""},
    ],
}


async def reader(sender_id):
    return TRANSCRIPTS.get(sender_id, [])


class Console:
    def __init__(self, client: TestClient):
        self.client, self.csrf = client, None

    async def get(self, path, **kw):
        r = await self.client.get(path, allow_redirects=False, **kw)
        text = await r.text()
        m = CSRF.search(text)
        if m:
            self.csrf = m.group(1)
        return r, text

    async def post(self, path, data=None, csrf=True):
        data = dict(data or {})
        if csrf is True:
            data["csrf_token"] = self.csrf
        elif csrf:
            data["csrf_token"] = csrf
        r = await self.client.post(path, data=data, allow_redirects=False)
        return r, await r.text()

    async def login(self, username, password=None):
        await self.get("/login")
        r, text = await self.post("/login", {"username": username, "password": password or PASSWORDS[username]})
        if r.status == 302:
            await self.get(r.headers["Location"])
        return r, text

    def session_token(self):
        return next((c.value for c in self.client.session.cookie_jar if c.key == SESSION_COOKIE), None)


# Port 9 (discard) refuses connections: the console's relay calls fail fast instead of reaching a local Rasa.
NO_RASA = "http://127.0.0.1:9"


@pytest.fixture
async def make_console(eng):
    clients = []

    async def make(**overrides):
        listeners = overrides.pop("status_listeners", ())
        overrides.setdefault("rasa_url", NO_RASA)
        app = create_app(eng, load(env={}, **overrides), transcript_reader=reader, status_listeners=listeners)
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


# --- sessions, login, CSRF --------------------------------------------------------------------------------


async def test_without_a_session_pages_redirect_to_login_and_posts_are_refused(console, seeded, eng):
    r, _ = await console.get("/")
    assert r.status == 302 and r.headers["Location"] == "/login"
    r, _ = await console.get(f"/cases/{seeded['tn']}")
    assert r.status == 302 and r.headers["Location"] == f"/login?next=/cases/{seeded['tn']}"
    r, _ = await console.get("/inbox/rows")
    assert r.status == 401
    for path in ("/staff", "/figures", f"/cases/{seeded['tn']}/summary"):
        r, _ = await console.get(path)
        assert r.status == 302, path
    await console.get("/login")  # a valid login-form token is still no session
    for path, data in ((f"/cases/{seeded['tn']}/notes", {"text": "x"}), (f"/cases/{seeded['tn']}/status", {"to": "resolved"}),
                       ("/staff", {"username": "evil", "password": "x" * 12, "role": "supervisor"})):
        r, text = await console.post(path, data)
        assert r.status == 403, path
        assert "đăng nhập" in text
    assert repo.notes(eng, seeded["tn"]) == [] and repo.get_case(eng, seeded["tn"])["status"] == "waiting"
    assert repo.staff_by_username(eng, "evil") is None


async def test_login_sets_a_strict_httponly_cookie_whose_token_is_stored_hashed(console, seeded, eng):
    r, _ = await console.login("tn1")
    assert r.status == 302 and r.headers["Location"] == "/"
    cookie = next(h for h in r.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # http://localhost
    token = console.session_token()
    with eng.connect() as conn:
        stored = [row.token_hash for row in conn.execute(select(staff_sessions.c.token_hash))]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and token not in stored
    r, text = await console.get("/")
    assert r.status == 200 and "Hộp hồ sơ · Tây Ninh" in text


async def test_https_base_url_makes_the_cookie_secure(make_console, seeded):
    console = await make_console(base_url="https://canbo.ansinh.example")
    r, _ = await console.get("/login")
    nonce = next(h for h in r.headers.getall("Set-Cookie") if h.startswith("ansinh_console_login="))
    assert "Secure" in nonce and "HttpOnly" in nonce and "SameSite=Strict" in nonce
    # the test client speaks http, so it keeps Secure cookies to itself: hand the nonce back by hand
    console.client.session.cookie_jar.update_cookies({"ansinh_console_login": nonce.split(";")[0].split("=", 1)[1]})
    r, _ = await console.post("/login", {"username": "sup", "password": PASSWORDS["sup"]})
    assert r.status == 302
    cookie = next(h for h in r.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_wrong_password_is_refused_with_a_vietnamese_message(console, seeded):
    r, text = await console.login("tn1", "sai-mat-khau")
    assert r.status == 401 and "Tên đăng nhập hoặc mật khẩu không đúng" in text
    assert console.session_token() is None


async def test_every_post_needs_the_csrf_token_of_its_own_session(console, make_console, seeded, eng):
    r, _ = await console.post("/login", {"username": "tn1", "password": PASSWORDS["tn1"]}, csrf=False)
    assert r.status == 403 and console.session_token() is None  # the login form too
    await console.login("tn1")
    case = f"/cases/{seeded['tn']}"
    await console.get(case)
    own = console.csrf
    other = await make_console()
    await other.login("tn2")
    await other.get(case)
    for csrf in (False, "0" * 64, other.csrf):
        r, text = await console.post(f"{case}/notes", {"text": "ghi chú"}, csrf=csrf)
        assert r.status == 403 and "Biểu mẫu không hợp lệ" in text
        r, _ = await console.post(f"{case}/status", {"to": "resolved"}, csrf=csrf)
        assert r.status == 403
    assert repo.notes(eng, seeded["tn"]) == [] and repo.get_case(eng, seeded["tn"])["status"] == "waiting"
    r, _ = await console.post(f"{case}/notes", {"text": "ghi chú"}, csrf=own)
    assert r.status == 302 and [n["text"] for n in repo.notes(eng, seeded["tn"])] == ["ghi chú"]
    # every form on the pages carries the token
    for path in ("/", case, "/login"):
        _, text = await console.get(path)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", text, re.S)
        assert all('name="csrf_token"' in f for f in forms), path


async def test_wrong_passwords_are_throttled_per_username_and_per_address(make_console, seeded):
    console = await make_console(throttle_per_username=3, throttle_per_address=5)
    for _ in range(3):
        r, _ = await console.login("tn1", "sai-mat-khau")
        assert r.status == 401
    r, text = await console.login("tn1")  # the right password, too late
    assert r.status == 429 and "Đăng nhập sai quá nhiều lần" in text and "thử lại sau 15 phút" in text
    assert console.session_token() is None
    r, _ = await console.login("tn2", "sai-mat-khau")  # another account from the same address: 4th failure
    assert r.status == 401
    r, _ = await console.login("hn1", "sai-mat-khau")
    assert r.status == 401  # 5th
    r, text = await console.login("sup")  # the address is now throttled whatever the account
    assert r.status == 429 and "Đăng nhập sai quá nhiều lần" in text


async def test_sessions_expire(make_console, seeded):
    console = await make_console(session_ttl=dt.timedelta(seconds=1))
    await console.login("tn1")
    r, _ = await console.get("/")
    assert r.status == 200
    time.sleep(1.3)
    r, _ = await console.get("/")
    assert r.status == 302 and r.headers["Location"] == "/login"


async def test_logout_ends_the_session_on_the_server(console, make_console, seeded):
    await console.login("tn1")
    token = console.session_token()
    r, _ = await console.post("/logout")
    assert r.status == 302
    replay = await make_console()
    replay.client.session.cookie_jar.update_cookies({SESSION_COOKIE: token})
    r, _ = await replay.get("/")
    assert r.status == 302 and r.headers["Location"] == "/login"


# --- provinces and roles ----------------------------------------------------------------------------------


async def test_an_officer_sees_and_acts_only_on_cases_of_their_province(console, seeded, eng):
    await console.login("tn1")
    _, inbox = await console.get("/")
    assert f'id="case-{seeded["tn"]}"' in inbox and f'id="case-{seeded["tn_b"]}"' in inbox
    assert f'id="case-{seeded["hn"]}"' not in inbox and f'id="case-{seeded["cm"]}"' not in inbox
    _, rows = await console.get("/inbox/rows?province=Hà Nội")  # a filter cannot widen the province
    assert f'id="case-{seeded["hn"]}"' not in rows and f'id="case-{seeded["tn"]}"' in rows

    hn = seeded["hn"]
    r, text = await console.get(f"/cases/{hn}")
    assert r.status == 404 and "bị sa thải" not in text and PHONE not in text
    r, _ = await console.get(f"/cases/{hn}/summary")
    assert r.status == 404
    await console.get(f"/cases/{seeded['tn']}")  # a valid token of this session for the forged forms
    forged = [
        (f"/cases/{hn}/notes", {"text": "giả mạo"}),
        (f"/cases/{hn}/assign", {"staff_id": str(seeded["staff"]["tn1"])}),
        (f"/cases/{hn}/assign", {"staff_id": str(seeded["staff"]["hn1"])}),
        (f"/cases/{hn}/take", {}),
        (f"/cases/{hn}/escalate", {"kind": "legal_aid", "text": "giả mạo"}),
        (f"/cases/{hn}/status", {"to": "resolved"}),
        (f"/cases/{hn}/status", {"to": "bot"}),
    ]
    for path, data in forged:
        r, _ = await console.post(path, data)
        assert r.status == 404, path
    case = repo.get_case(eng, hn)
    assert case["status"] == "waiting" and case["assigned_staff_id"] is None
    assert repo.notes(eng, hn) == [] and repo.referrals(eng, hn) == [] and repo.assignments(eng, hn) == []
    assert "case_viewed" not in [e["action"] for e in repo.audit_entries(eng, case_id=hn)]
    assert "case_access_refused" in [e["action"] for e in repo.audit_entries(eng, case_id=hn)]
    # nor assign one of their own cases to an officer of another province
    r, text = await console.post(f"/cases/{seeded['tn']}/assign", {"staff_id": str(seeded["staff"]["hn1"])})
    assert r.status == 400 and "cán bộ đang hoạt động của tỉnh/thành này" in text
    assert repo.get_case(eng, seeded["tn"])["assigned_staff_id"] is None
    # and has no account or figures pages
    for path in ("/staff", "/figures"):
        r, _ = await console.get(path)
        assert r.status == 403, path


async def test_a_programme_manager_sees_only_figures_without_personal_data(console, seeded, eng):
    repo.set_status(eng, seeded["cm"], "resolved")
    r, _ = await console.login("pm")
    assert r.headers["Location"] == "/figures"
    r, _ = await console.get("/")
    assert r.status == 302 and r.headers["Location"] == "/figures"
    r, text = await console.get("/figures")
    assert r.status == 200
    status_table = re.search(r'id="by-status">(.*?)</table>', text, re.S).group(1)
    assert re.search(r"Đang chờ cán bộ</th><td class=\"num\">3<", status_table)
    assert re.search(r"Đã giải quyết</th><td class=\"num\">1<", status_table)
    provinces = re.search(r'id="by-province">(.*?)</table>', text, re.S).group(1)
    assert re.search(r"<th>Tây Ninh</th>(<td class=\"num\">\d+</td>){5}<td class=\"num\">2</td>", provinces)
    for secret in (PHONE, CCCD, SI, "nợ lương 3 tháng", "tg-1001", "Công ty A", "bị sa thải"):
        assert secret not in text
    for path in (f"/cases/{seeded['tn']}", "/inbox/rows", "/staff"):
        r, _ = await console.get(path)
        assert r.status == 403, path
    await console.get("/figures")
    r, _ = await console.post(f"/cases/{seeded['tn']}/notes", {"text": "x"})
    assert r.status == 403 and repo.notes(eng, seeded["tn"]) == []


async def test_a_supervisor_sees_all_provinces_and_the_queue_of_provinces_without_officers(console, seeded, eng):
    await console.login("sup")
    _, inbox = await console.get("/")
    for key in ("tn", "tn_b", "hn", "cm"):
        assert f'id="case-{seeded[key]}"' in inbox
    queue = re.search(r'id="supervisor-queue">(.*?)</section>', inbox, re.S).group(1)
    assert f'id="case-{seeded["cm"]}"' in queue and f'id="case-{seeded["hn"]}"' not in queue
    repo.set_active(eng, seeded["staff"]["hn1"], False)  # Hà Nội's only officer leaves
    _, rows = await console.get("/inbox/rows")
    queue = re.search(r'id="supervisor-queue">(.*?)</section>', rows, re.S).group(1)
    assert f'id="case-{seeded["hn"]}"' in queue
    _, rows = await console.get("/inbox/rows?province=Tây Ninh")
    assert f'id="case-{seeded["hn"]}"' not in rows and f'id="case-{seeded["tn"]}"' in rows
    _, rows = await console.get("/inbox/rows?topic=maternity")
    assert f'id="case-{seeded["tn_b"]}"' in rows and f'id="case-{seeded["tn"]}"' not in rows
    r, _ = await console.get(f"/cases/{seeded['hn']}")
    assert r.status == 200


async def test_cases_waiting_too_long_are_marked_and_resolved_ones_listed_on_request(make_console, seeded, eng):
    with eng.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == seeded["tn"]).values(created_at=repo.now() - dt.timedelta(hours=3)))
    repo.set_status(eng, seeded["tn_b"], "resolved")
    console = await make_console(waiting_alert=dt.timedelta(hours=2))
    await console.login("tn1")
    _, rows = await console.get("/inbox/rows")
    assert f'class="case overdue" id="case-{seeded["tn"]}"' in rows and "Chờ quá lâu" in rows
    assert "3 giờ" in rows and "1 hồ sơ chờ quá lâu" in rows
    assert f'id="case-{seeded["tn_b"]}"' not in rows  # resolved: not among the open ones
    _, rows = await console.get("/inbox/rows?age=1h")
    assert f'id="case-{seeded["tn"]}"' in rows and "1 hồ sơ" in rows
    _, rows = await console.get("/inbox/rows?age=24h")
    assert f'id="case-{seeded["tn"]}"' not in rows and "0 hồ sơ" in rows
    _, page = await console.get("/?age=1h")
    assert '<option value="1h" selected>hơn 1 giờ</option>' in page
    _, rows = await console.get("/inbox/rows?status=resolved")
    assert f'id="case-{seeded["tn_b"]}"' in rows and f'id="case-{seeded["tn"]}"' not in rows


# --- personal data ----------------------------------------------------------------------------------------


async def test_personal_numbers_are_masked_in_the_inbox_and_shown_and_audited_on_the_case_page(console, seeded, eng):
    await console.login("sup")
    for path in ("/", "/inbox/rows", "/inbox/rows?status=all"):
        _, html = await console.get(path)
        assert "Hồ sơ" in html
        for number in (PHONE, CCCD, SI):
            assert number not in html, (path, number)
        assert "*******678" in html and "*********789" in html
    assert "case_viewed" not in [e["action"] for e in repo.audit_entries(eng, case_id=seeded["tn"])]
    _, page = await console.get(f"/cases/{seeded['tn']}")
    for number in (PHONE, CCCD, SI):
        assert number in page
    viewed = repo.audit_entries(eng, case_id=seeded["tn"], action="case_viewed")
    assert len(viewed) == 1 and viewed[0]["staff_id"] == seeded["staff"]["sup"] and viewed[0]["detail"] is None


async def test_html_in_a_users_message_shows_as_text(console, seeded, eng):
    await console.login("tn1")
    _, page = await console.get(f"/cases/{seeded['tn']}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; công ty nợ lương" in page
    assert "<script>alert" not in page
    assert "Anh/chị có đồng ý chia sẻ" in page and f"có, số tôi {PHONE}" in page
    assert page.count('class="msg ') == 3  # user, bot, user; the empty bot event and the action are not lines
    await console.post(f"/cases/{seeded['tn']}/notes", {"text": "<img src=x onerror=alert(1)>"})
    _, page = await console.get(f"/cases/{seeded['tn']}")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


async def test_an_unreadable_transcript_is_said_plainly(eng, seeded):
    async def down(sender_id):
        raise views.TranscriptUnavailable("Không kết nối được tới Rasa để đọc cuộc trò chuyện.")

    app = create_app(eng, load(env={}, rasa_url=NO_RASA), transcript_reader=down)
    async with TestClient(TestServer(app)) as client:
        c = Console(client)
        await c.login("tn1")
        r, page = await c.get(f"/cases/{seeded['tn']}")
        assert r.status == 200 and "Không kết nối được tới Rasa" in page and "Công ty nợ lương" in page


# --- working a case ---------------------------------------------------------------------------------------


async def test_note_assign_escalate_and_resolve(make_console, seeded, eng):
    changes = []

    async def listener(before, after, staff):
        changes.append((before["status"], after["status"], staff["username"]))

    console = await make_console(status_listeners=[listener])
    await console.login("tn1")
    case_id = seeded["tn"]
    path = f"/cases/{case_id}"
    r, page = await console.get(path)
    assert r.status == 200 and "Thông tin trợ lý đã thu thập" in page and "months_unpaid" in page and "Công ty A" in page
    assert "telegram" in page and f"Zalo {PHONE}" in page

    r, text = await console.post(f"{path}/notes", {"text": "   "})
    assert r.status == 400 and "Ghi chú trống" in text
    r, _ = await console.post(f"{path}/notes", {"text": "Đã gọi điện, hẹn gặp thứ Hai."})
    assert r.status == 302 and r.headers["Location"] == f"{path}#ghi-chu"
    assert [(n["text"], n["staff_id"]) for n in repo.notes(eng, case_id)] == [("Đã gọi điện, hẹn gặp thứ Hai.", seeded["staff"]["tn1"])]

    await console.get(path)
    r, _ = await console.post(f"{path}/assign", {"staff_id": str(seeded["staff"]["tn2"])})
    assert r.status == 302 and repo.get_case(eng, case_id)["assigned_staff_id"] == seeded["staff"]["tn2"]
    _, page = await console.get(path)
    assert re.search(r'id="case-assignee">Cán bộ Hoa<', page)

    r, _ = await console.post(f"{path}/escalate", {"kind": "nowhere"})
    assert r.status == 400 and repo.referrals(eng, case_id) == []
    await console.get(path)
    r, _ = await console.post(f"{path}/escalate", {"kind": "legal_aid", "text": ""})
    assert r.status == 302 and r.headers["Location"].startswith(f"{path}/summary?referral=")
    (ref,) = repo.referrals(eng, case_id)
    assert ref["organisation"].startswith("Trung tâm Trợ giúp pháp lý nhà nước") and "Tây Ninh" in ref["organisation"]
    assert ref["kind"] == "legal_aid" and ref["province"] == "Tây Ninh" and ref["staff_id"] == seeded["staff"]["tn1"]
    assert f"hồ sơ số {case_id}" in ref["sent_text"] and "Công ty nợ lương 3 tháng" in ref["sent_text"]
    assert repo.get_case(eng, case_id)["status"] == "escalated"
    r, summary = await console.get(r.headers["Location"])
    assert r.status == 200 and ref["organisation"] in summary and f"Tóm tắt hồ sơ số {case_id}" in summary
    assert "case_summary_viewed" in [e["action"] for e in repo.audit_entries(eng, case_id=case_id)]

    await console.get(path)
    r, _ = await console.post(f"{path}/escalate", {"kind": "labour_federation", "text": "Đề nghị Liên đoàn hỗ trợ."})
    assert r.status == 302
    assert [(x["kind"], x["sent_text"]) for x in repo.referrals(eng, case_id)][-1] == ("labour_federation", "Đề nghị Liên đoàn hỗ trợ.")

    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "resolved"})
    assert r.status == 302
    case = repo.get_case(eng, case_id)
    assert case["status"] == "resolved" and case["resolved_at"] is not None
    _, page = await console.get(path)
    assert 'id="resolve-form"' not in page and 'id="note-form"' in page
    r, text = await console.post(f"{path}/status", {"to": "bot"})
    assert r.status == 409 and "Không thể chuyển hồ sơ" in text and repo.get_case(eng, case_id)["status"] == "resolved"

    assert changes == [("waiting", "escalated", "tn1"), ("escalated", "resolved", "tn1")]
    actions = [e["action"] for e in repo.audit_entries(eng, case_id=case_id)]
    for action in ("note_added", "assigned", "referral_recorded", "status_changed", "case_viewed"):
        assert action in actions


async def test_hand_back_to_the_bot_keeps_the_case_open(console, seeded, eng):
    await console.login("tn2")
    path = f"/cases/{seeded['tn_b']}"
    await console.get(path)
    r, _ = await console.post(f"{path}/take")
    assert r.status == 302 and repo.get_case(eng, seeded["tn_b"])["assigned_staff_id"] == seeded["staff"]["tn2"]
    await console.get(path)
    r, _ = await console.post(f"{path}/status", {"to": "bot"})
    assert r.status == 302 and repo.get_case(eng, seeded["tn_b"])["status"] == "bot"
    r, _ = await console.post(f"{path}/status", {"to": "with_staff"})  # not a console action in this part
    assert r.status == 400 and repo.get_case(eng, seeded["tn_b"])["status"] == "bot"


# --- accounts ---------------------------------------------------------------------------------------------


async def test_a_supervisor_creates_deactivates_and_resets_accounts(console, make_console, seeded, eng):
    await console.login("sup")
    await console.get("/staff")
    r, text = await console.post("/staff", {"username": "cm1", "password": "ngan", "role": "officer", "province": "Cà Mau"})
    assert r.status == 400 and "ít nhất 10 ký tự" in text
    r, text = await console.post("/staff", {"username": "cm1", "password": "can-bo-ca-mau-1", "role": "officer", "province": ""})
    assert r.status == 400 and "tỉnh/thành phụ trách" in text
    r, text = await console.post("/staff", {"username": "cm1", "password": "can-bo-ca-mau-1", "role": "officer", "province": "Cà Mau"})
    assert r.status == 200 and "Đã tạo tài khoản “cm1”" in text
    new = repo.staff_by_username(eng, "cm1")
    assert new["role"] == "officer" and new["province"] == "Cà Mau" and new["password_hash"].startswith("$argon2id$")
    _, rows = await console.get("/inbox/rows")
    assert 'id="supervisor-queue"' not in rows  # Cà Mau has an officer now

    officer = await make_console()
    r, _ = await officer.login("cm1", "can-bo-ca-mau-1")
    assert r.status == 302
    await console.get("/staff")
    r, text = await console.post(f"/staff/{new['id']}/active", {"active": "0"})
    assert r.status == 200 and "Đã khoá tài khoản “cm1”" in text
    r, _ = await officer.get("/")
    assert r.status == 302  # the session ended with the deactivation
    r, _ = await officer.login("cm1", "can-bo-ca-mau-1")
    assert r.status == 401
    await console.get("/staff")
    await console.post(f"/staff/{new['id']}/active", {"active": "1"})
    await console.get("/staff")
    r, text = await console.post(f"/staff/{new['id']}/password", {"password": "mat-khau-moi-cm1"})
    assert r.status == 200 and "Đã đặt lại mật khẩu" in text
    r, _ = await officer.login("cm1", "can-bo-ca-mau-1")
    assert r.status == 401
    r, _ = await officer.login("cm1", "mat-khau-moi-cm1")
    assert r.status == 302
    await console.get("/staff")
    r, text = await console.post(f"/staff/{seeded['staff']['sup']}/active", {"active": "0"})
    assert r.status == 400 and repo.get_staff(eng, seeded["staff"]["sup"])["active"]


# --- command line and settings ----------------------------------------------------------------------------


def _adduser(url, *args, password="mat-khau-giam-sat\n"):
    return subprocess.run([sys.executable, "-m", "channels.console", "--db-url", url, "adduser", *args],
                          input=password, capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_adduser_reads_the_password_from_standard_input(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"  # a new database: adduser migrates it
    done = _adduser(url, "Lan", "--role", "supervisor")
    assert done.returncode == 0, done.stderr
    assert "Đã tạo tài khoản “lan”" in done.stdout
    done = _adduser(url, "minh", "--role", "officer", "--province", "long an", password="can-bo-tay-ninh\n")
    assert done.returncode == 0, done.stderr
    eng = db.make_engine(url)
    try:
        assert repo.authenticate(eng, "lan", "mat-khau-giam-sat")["role"] == "supervisor"
        assert repo.authenticate(eng, "lan", "mat-khau-giam-sat\n") is None  # the newline is not part of it
        officer = repo.authenticate(eng, "minh", "can-bo-tay-ninh")
        assert officer["province"] == "Tây Ninh"  # Long An is part of Tây Ninh now
        assert _adduser(url, "x", "--role", "officer").returncode == 2
        assert _adduser(url, "y", "--role", "supervisor", password="ngan\n").returncode == 2
        assert _adduser(url, "lan", "--role", "supervisor").returncode == 1
        assert {s["username"] for s in repo.list_staff(eng)} == {"lan", "minh"}
    finally:
        eng.dispose()


def test_settings_from_the_file_and_the_environment(tmp_path):
    f = tmp_path / "console.yml"
    f.write_text(
        "console:\n  port: 9001\n  waiting_alert_minutes: 30\n  telegram_staff_chats: {Tây Ninh: '-1001'}\n"
        "  office_hours:\n    weekly: {mon: ['07:30-11:30', '13:00-17:00'], tue: ['07:30-11:30']}\n"
        "    holidays:\n      - {from: 2027-02-05, to: 2027-02-09, name: Tết Nguyên đán}\n", encoding="utf-8")
    s = load(f, env={})
    assert (s.port, s.base_url, s.waiting_alert) == (9001, "http://localhost:9001", dt.timedelta(minutes=30))
    assert s.telegram_staff_chats == {"Tây Ninh": "-1001"}
    s = load(f, env={"ANSINH_CONSOLE_PORT": "9100", "ANSINH_CONSOLE_BASE_URL": "https://canbo.example/",
                     "ANSINH_RASA_TOKEN": "t0k", "ANSINH_CONSOLE_TELEGRAM_CHATS": '{"Hà Nội": "-1002"}'})
    assert (s.port, s.base_url, s.rasa_token, s.secure_cookies) == (9100, "https://canbo.example", "t0k", True)
    assert s.telegram_staff_chats == {"Tây Ninh": "-1001", "Hà Nội": "-1002"}
    assert s.case_url(7) == "https://canbo.example/cases/7"
    hours = s.office_hours
    utc = dt.timezone.utc
    assert hours.is_open(dt.datetime(2027, 1, 4, 2, 0, tzinfo=utc))  # Monday 09:00 in Vietnam
    assert not hours.is_open(dt.datetime(2027, 1, 4, 5, 0, tzinfo=utc))  # 12:00, lunch
    assert not hours.is_open(dt.datetime(2027, 1, 5, 7, 0, tzinfo=utc))  # Tuesday afternoon: closed
    assert not hours.is_open(dt.datetime(2027, 2, 8, 2, 0, tzinfo=utc))  # Monday in Tết
    assert hours.holiday(dt.date(2027, 2, 8)).name == "Tết Nguyên đán"
    # Friday 05/02/2027 evening: Tết until Tuesday 09/02, so the next opening is Monday 15/02 07:30
    assert hours.next_opening(dt.datetime(2027, 2, 4, 12, 0, tzinfo=utc)).strftime("%d/%m %H:%M") == "15/02 07:30"
    assert hours.describe() == "Thứ Hai 07:30–11:30, 13:00–17:00; Thứ Ba 07:30–11:30"
    with pytest.raises(ValueError):
        office_hours({"weekly": {"mon": ["17:00-08:00"]}})
    repo_file = load(ROOT / "console.yml", env={})
    assert repo_file.office_hours.holiday(dt.date(2027, 2, 6)) is not None  # Tết is in the shipped settings
