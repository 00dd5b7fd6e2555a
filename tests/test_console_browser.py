"""The staff console in a real headless Chromium (Debian's chromium + chromium-driver), one browser and one
console server for the module, beside a real Rasa started with ``--auth-token``: the case page reads the
transcript through the console's default reader (Rasa's HTTP API with the token), not an injected one.

An officer logs in, sees a new case arrive without reloading, opens a case, adds a note, assigns it,
escalates it (a referral recorded, the printable summary), resolves it. Screenshots at 1280 and 360 px:
reports/console_*.png.
"""
import asyncio
import threading
from pathlib import Path

import pytest
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException, StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from aiohttp import web

from cases import db, repository as repo
from channels.console import views
from channels.console.app import RasaTrackerReader, create_app
from channels.console.settings import load
from tests.servers import ROOT, assistant, free_port, say
from tests.browser import chromium, page_shot, width

REPORTS = ROOT / "reports"
TOKEN = "console-test-token"
SENDER = "rest-console-1"
PASSWORDS = {"tn1": "can-bo-tay-ninh-1", "tn2": "can-bo-tay-ninh-2", "sup": "giam-sat-vien-1"}
PHONE = "0912345678"


class ConsoleServer:
    """The console app on its own event loop in a thread, on a free port."""

    def __init__(self, app: web.Application) -> None:
        self.app, self.port = app, free_port()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner = None

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(20), "console server did not start"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._runner = web.AppRunner(self.app)
        self.loop.run_until_complete(self._runner.setup())
        self.loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp}/console.db"
    db.upgrade(url)
    eng = db.make_engine(url)
    staff = {
        "tn1": repo.create_staff(eng, "tn1", PASSWORDS["tn1"], "officer", province="Tây Ninh", display_name="Cán bộ Minh"),
        "tn2": repo.create_staff(eng, "tn2", PASSWORDS["tn2"], "officer", province="Tây Ninh", display_name="Cán bộ Hoa"),
        "sup": repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor", display_name="Giám sát viên Lan"),
    }
    with assistant(tmp, token=TOKEN) as rport:
        # A real conversation in Rasa's tracker, with HTML in the user's words.
        say(rport, SENDER, "<script>alert('x')</script> công ty nợ lương 3 tháng rồi")
        case_id = repo.open_or_extend_case(
            eng, SENDER, "rest", topic="wage_arrears", province="Tây Ninh",
            description=f"Công ty nợ lương 3 tháng, gọi {PHONE}", contact=f"Zalo {PHONE}",
            facts={"months_unpaid": 3, "employer": "Công ty May A"},
        ).case_id
        hn = repo.open_or_extend_case(eng, "tg-hn", "telegram", topic="dismissal", province="Hà Nội", description="bị sa thải").case_id
        settings = load(env={}, rasa_url=f"http://127.0.0.1:{rport}", rasa_token=TOKEN, poll_seconds=1)
        server = ConsoleServer(create_app(db.make_engine(url), settings))  # the default transcript reader
        server.start()
        try:
            yield {"url": f"http://127.0.0.1:{server.port}", "eng": eng, "case": case_id, "hn": hn, "staff": staff,
                   "rasa": rport, "tmp": tmp}
        finally:
            server.stop()
            eng.dispose()


@pytest.fixture(scope="module")
def browser(site):
    driver = chromium(Path(site["tmp"]) / "chrome-profile", window="1280,900")
    REPORTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def shot(d, name, px):
    page_shot(d, REPORTS / f"console_{name}_{px}.png", px, max_height=3000)


def steady(d, fn, timeout=10):
    """``fn(d)`` on the inbox, whose lists the page replaces every second: retry when they were swapped meanwhile."""
    def attempt(_):
        try:
            return fn(d) or True
        except (StaleElementReferenceException, NoSuchElementException):
            return False
    return WebDriverWait(d, timeout).until(attempt)


def submit(d, form_id):
    d.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()


def login(d, site, username, password=None):
    d.get(site["url"] + "/login")
    d.find_element(By.ID, "username").send_keys(username)
    d.find_element(By.ID, "password").send_keys(password or PASSWORDS[username])
    form = d.find_element(By.ID, "login-form")
    submit(d, "login-form")
    WebDriverWait(d, 10, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(form))  # the answer page has loaded


def logout(d):
    d.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "login-form")))


def no_alert(d):
    try:
        d.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_an_officer_works_a_case_from_login_to_resolution(site, browser):
    d, eng, case_id = browser, site["eng"], site["case"]
    width(d, 360)
    login(d, site, "tn1", "sai-mat-khau")
    error = WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in error.text
    shot(d, "login_error", 360)

    login(d, site, "tn1")
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, f"case-{case_id}")))
    assert not d.find_elements(By.ID, f"case-{site['hn']}")  # Hà Nội's case is not Tây Ninh's officers'
    assert PHONE not in d.page_source
    assert "*******678" in steady(d, lambda x: x.find_element(By.ID, f"case-{case_id}").text)

    # A new case arrives: the list shows it without a reload (the page's marker survives).
    d.execute_script("window.__sameDocument = 'yes'")
    new = repo.open_or_extend_case(eng, "tg-new", "telegram", topic="maternity", province="Tây Ninh",
                                   description=f"hỏi thai sản, CCCD 079123456789").case_id
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, f"case-{new}")))
    assert d.execute_script("return window.__sameDocument") == "yes"
    assert "079123456789" not in steady(d, lambda x: x.find_element(By.ID, "inbox").text)
    shot(d, "inbox", 1280)
    shot(d, "inbox", 360)

    # The case page: the real transcript from Rasa, HTML shown as text, the facts, the full numbers.
    steady(d, lambda x: x.find_element(By.CSS_SELECTOR, f"#case-{case_id} a").click())
    WebDriverWait(d, 20).until(EC.presence_of_element_located((By.ID, "transcript")))
    lines = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#transcript .msg.user .text")]
    assert "<script>alert('x')</script> công ty nợ lương 3 tháng rồi" in lines
    assert d.find_elements(By.CSS_SELECTOR, "#transcript .msg.bot"), "the bot's answer from the tracker"
    assert no_alert(d)
    assert d.find_element(By.ID, "case-channel").text == "rest"
    assert "Công ty May A" in d.find_element(By.ID, "case-facts").text
    assert PHONE in d.find_element(By.ID, "case-contact").text
    assert repo.audit_entries(eng, case_id=case_id, action="case_viewed")

    d.find_element(By.ID, "note-text").send_keys("Đã gọi cho người lao động, hẹn gặp sáng thứ Hai.")
    submit(d, "note-form")
    WebDriverWait(d, 10).until(EC.text_to_be_present_in_element((By.ID, "notes"), "hẹn gặp sáng thứ Hai"))

    Select(d.find_element(By.ID, "assign-to")).select_by_visible_text("Cán bộ Hoa")
    submit(d, "assign-form")
    WebDriverWait(d, 10).until(EC.text_to_be_present_in_element((By.ID, "case-assignee"), "Cán bộ Hoa"))
    assert repo.get_case(eng, case_id)["assigned_staff_id"] == site["staff"]["tn2"]
    shot(d, "case", 1280)
    shot(d, "case", 360)

    legal_aid = next(o.text for o in Select(d.find_element(By.ID, "escalate-kind")).options if "Trợ giúp pháp lý" in o.text)
    Select(d.find_element(By.ID, "escalate-kind")).select_by_visible_text(legal_aid)
    submit(d, "escalate-form")
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "referral-text")))
    assert f"hồ sơ số {case_id}" in d.find_element(By.ID, "referral-text").text
    (ref,) = repo.referrals(eng, case_id)
    assert ref["organisation"] == legal_aid and ref["kind"] == "legal_aid" and "Công ty nợ lương" in ref["sent_text"]
    assert repo.get_case(eng, case_id)["status"] == "escalated"
    shot(d, "summary", 1280)
    shot(d, "summary", 360)

    d.get(f"{site['url']}/cases/{case_id}")
    submit(d, "resolve-form")
    WebDriverWait(d, 10).until(EC.text_to_be_present_in_element((By.ID, "case-status"), "Đã giải quyết"))
    assert repo.get_case(eng, case_id)["status"] == "resolved"
    assert not d.find_elements(By.ID, "resolve-form")
    shot(d, "resolved", 360)

    # Another province's case, by link: refused.
    d.get(f"{site['url']}/cases/{site['hn']}")
    assert "Không tìm thấy hồ sơ" in d.page_source and "bị sa thải" not in d.page_source
    logout(d)
    d.get(f"{site['url']}/cases/{case_id}")
    assert d.find_elements(By.ID, "login-form")  # logged out: back to the login


def test_a_supervisor_sees_the_queue_and_manages_accounts(site, browser):
    d, eng = browser, site["eng"]
    width(d, 1280)
    login(d, site, "sup")
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "supervisor-queue")))
    assert d.find_elements(By.CSS_SELECTOR, f"#supervisor-queue #case-{site['hn']}")  # Hà Nội has no officer
    d.get(site["url"] + "/staff")
    d.find_element(By.ID, "new-username").send_keys("hn1")
    d.find_element(By.ID, "new-password").send_keys("can-bo-ha-noi-001")
    Select(d.find_element(By.ID, "new-role")).select_by_value("officer")
    Select(d.find_element(By.ID, "new-province")).select_by_visible_text("Hà Nội")
    submit(d, "create-account")
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "account-hn1")))
    assert repo.staff_by_username(eng, "hn1")["province"] == "Hà Nội"
    shot(d, "accounts", 1280)
    shot(d, "accounts", 360)
    d.get(site["url"] + "/")
    assert not d.find_elements(By.ID, "supervisor-queue")
    d.get(site["url"] + "/figures")
    shot(d, "figures", 360)
    logout(d)


async def test_the_default_reader_needs_rasas_token(site):
    url = f"http://127.0.0.1:{site['rasa']}"
    events = await RasaTrackerReader(url, TOKEN)(SENDER)
    assert "<script>alert('x')</script> công ty nợ lương 3 tháng rồi" in [e.get("text") for e in events if e.get("event") == "user"]
    for token in (None, "wrong-token"):
        with pytest.raises(views.TranscriptUnavailable, match="ANSINH_RASA_TOKEN"):
            await RasaTrackerReader(url, token)(SENDER)
    with pytest.raises(views.TranscriptUnavailable, match="Không kết nối được"):
        await RasaTrackerReader(f"http://127.0.0.1:{free_port()}", TOKEN)(SENDER)
