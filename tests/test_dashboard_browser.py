"""The programme dashboard and its Decision 176 page in a real headless Chromium (tests/browser.py), one browser and
one console server for the module, over a temporary case database and a temporary event-broker database filled
through Rasa's own SQLEventBroker with Rasa's own events (the rows Rasa writes when endpoints.yml has
``event_broker: {type: SQL}``): conversations on four channels over several weeks, calculations, referrals, a new
session, a message Rasa's API triggered, one conversation long before the period.

Every figure on the page is checked against the databases (the events with SQLite's JSON functions, independently
of outreach/metrics.py, and the case tables with SQL), every CSV file against the table on the page, and no
personal data reaches either. Then a supervisor writes a campaign, previews it, tests it on themself and
schedules it. Screenshots at 1280 and 360 px: reports/dashboard_*.png.
"""
import csv
import datetime as dt
import io
import re
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import create_engine, func, select, text, update

from actions.state import DialogueState, LastAnswer
from cases import db, repository as repo
from cases.schema import case_messages, case_ratings, case_referrals, cases, outreach_deliveries, subscriptions
from channels.console.app import create_app
from channels.console.settings import load
from outreach import campaigns as C
from tests.browser import chromium, page_shot, width
from tests.servers import ROOT
from tests.test_console_browser import ConsoleServer

REPORTS = ROOT / "reports"
PASSWORDS = {"pm": "quan-ly-chuong-trinh", "sup": "giam-sat-vien-1"}
VN = dt.timezone(dt.timedelta(hours=7))
NOW = time.time()
DAY = 86400
SENDERS = ("tg-1001", "zl-77", "web-5", "tg-2002", "rest-9", "tg-old")


class Talk:
    """One person's conversation as Rasa records it: the events of a session start, each user message, the
    action's answer with the ``state`` slot (actions/state.py), the bot's message; published through Rasa's
    SQLEventBroker exactly as Rasa's tracker store streams them ({"sender_id": ..., **event.as_dict()})."""

    def __init__(self, broker, sender, channel, days_ago):
        self.broker, self.sender, self.channel = broker, sender, channel
        self.t = NOW - days_ago * DAY
        self.state = DialogueState()

    def _publish(self, event):
        body = {"sender_id": self.sender}
        body.update(event.as_dict())
        self.broker.publish(body)

    def _tick(self, seconds=9.0):
        self.t += seconds
        return self.t

    def session(self, days_later=0.0):
        from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

        self.t += days_later * DAY
        self._publish(ActionExecuted("action_session_start", timestamp=self._tick()))
        self._publish(SessionStarted(timestamp=self._tick(0.01)))
        if self.state.to_dict() != DialogueState().to_dict():  # carry_over_slots_to_new_session
            self._publish(SlotSet("state", self.state.to_dict(), timestamp=self._tick(0.01)))
        self._publish(ActionExecuted("action_listen", timestamp=self._tick(0.01)))
        return self

    def say(self, words, intent, answer="(câu trả lời)", **state):
        from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

        parse = {"intent": {"name": intent, "confidence": 0.93}, "entities": [], "text": words,
                 "intent_ranking": [{"name": intent, "confidence": 0.93}]}
        self._publish(UserUttered(words, intent=parse["intent"], parse_data=parse, input_channel=self.channel,
                                  timestamp=self._tick(40)))
        self._publish(ActionExecuted("action_respond", timestamp=self._tick(0.3)))
        for key, value in state.items():
            setattr(self.state, key, value)
        self._publish(SlotSet("state", self.state.to_dict(), timestamp=self._tick(0.01)))
        self._publish(BotUttered(answer, timestamp=self._tick(0.01)))
        self._publish(ActionExecuted("action_listen", timestamp=self._tick(0.01)))
        return self

    def external(self, intent):
        from rasa.shared.core.events import UserUttered

        self._publish(UserUttered(f"EXTERNAL: {intent}", intent={"name": intent, "confidence": 1.0},
                                  input_channel=None, timestamp=self._tick()))


def referral(province, problem):
    return LastAnswer("referral", {"province": province, "problem": problem, "former": None})


def fill_events(path: Path):
    from rasa.core.brokers.sql import SQLEventBroker

    broker = SQLEventBroker(db=str(path))
    a = Talk(broker, "tg-1001", "telegram", 20).session()
    a.say("đóng bhxh tự nguyện bao nhiêu 1 tháng", "vsi_contribution", topic="vsi_contribution")
    a.say("thu nhập 3 triệu, đóng hằng tháng", "inform", topic="vsi_contribution", last_calc="vsi",
          last_inputs={"income": 3000000, "period": 1})
    a.say("tôi ở tây ninh, đăng ký ở đâu", "referral_request", province="Tây Ninh", last=referral("Tây Ninh", "insurance"))
    a.session(days_later=14)  # 6 days ago: a new session, the state carried over
    a.say("mua bhyt cho cả nhà bao nhiêu", "hi_household", topic="hi_household")
    b = Talk(broker, "zl-77", "zalo", 13).session()
    b.say("bị mất việc được trợ cấp bao nhiêu", "ui_benefit_amount", topic="ui_benefit_amount")
    b.say("lương 8 triệu, đóng 5 năm", "inform", last_calc="ui", last_inputs={"salary": 8000000, "months": 60})
    b.say("nộp hồ sơ ở hà nội", "referral_request", province="Hà Nội", last=referral("Hà Nội", "unemployment"))
    b.say("xem thêm", "more_detail")  # the same referral still last: not counted again
    c = Talk(broker, "web-5", "socketio", 5).session()
    c.say("bhxh tự nguyện là gì", "vsi_what", topic="vsi_what")
    d = Talk(broker, "tg-2002", "telegram", 3).session()
    d.say("tính tiền bhxh tự nguyện 5 triệu", "vsi_contribution", topic="vsi_contribution", last_calc="vsi",
          last_inputs={"income": 5000000, "period": 3}, province="Cà Mau")
    d.external("greet")  # Rasa's API triggered it: not the user's
    e = Talk(broker, "rest-9", "rest", 2).session()
    e.say("đóng tối thiểu bao nhiêu", "vsi_contribution", topic="vsi_contribution", last_calc="vsi",
          last_inputs={"income": 1500000, "period": 1}, province="Tây Ninh")
    e.say("tìm cơ quan bhxh", "referral_request", last=referral("Tây Ninh", "insurance"))
    old = Talk(broker, "tg-old", "telegram", 200).session()  # long before the period
    old.say("bhxh tự nguyện là gì", "vsi_what", topic="vsi_what")
    broker.engine.dispose()


def ago(days, hours=0.0):
    return repo.now() - dt.timedelta(days=days, hours=hours)


def seed_cases(eng, sup):
    """Four cases in the period (two resolved by staff with ratings, one withdrawn, one waiting), one long ago."""
    def case(sender, days, province="Tây Ninh"):
        cid = repo.open_or_extend_case(eng, sender, "telegram", topic="wage_arrears", province=province,
                                       description="nợ lương, gọi 0912345678").case_id
        with eng.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == cid).values(created_at=ago(days), updated_at=ago(days)))
        return cid

    def staff_reply(cid, at):
        mid = repo.add_message(eng, cid, "staff", "Chào anh/chị", staff_id=sup)
        with eng.begin() as conn:
            conn.execute(update(case_messages).where(case_messages.c.id == mid).values(created_at=at))

    def resolve(cid, at, reason="resolved"):
        repo.set_status(eng, cid, "resolved", staff_id=sup, reason=reason)
        with eng.begin() as conn:
            conn.execute(update(cases).where(cases.c.id == cid).values(resolved_at=at))

    c1, c2, c3, c4, c5 = case("tg-1001", 10), case("zl-77", 4, "Hà Nội"), case("rest-9", 2), case("tg-2002", 8), case("tg-old", 300)
    staff_reply(c1, ago(10) + dt.timedelta(minutes=30))
    resolve(c1, ago(8))
    staff_reply(c2, ago(4) + dt.timedelta(minutes=90))
    resolve(c2, ago(4) + dt.timedelta(hours=6))
    resolve(c4, ago(8) + dt.timedelta(hours=1), reason="withdrawn")
    staff_reply(c5, ago(300) + dt.timedelta(minutes=5))
    resolve(c5, ago(299))
    repo.rate(eng, c1, 5)
    repo.rate(eng, c2, 3)
    repo.rate(eng, c5, 1)
    repo.add_referral(eng, c1, "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Tây Ninh", kind="legal_aid", province="Tây Ninh", staff_id=sup)
    with eng.begin() as conn:
        conn.execute(update(case_ratings).where(case_ratings.c.case_id == c5).values(created_at=ago(299)))
        conn.execute(update(case_referrals).where(case_referrals.c.case_id == c1).values(created_at=ago(9)))
    return [c1, c2, c3, c4, c5]


def seed_outreach(eng, sup):
    def sub(sender, channel, kind, days, active=True, end_reason=None, ended=None):
        with eng.begin() as conn:
            return conn.execute(subscriptions.insert().values(
                created_at=ago(days), updated_at=ago(days), sender_hash=repo.sender_hash(sender),
                sender_id=sender if active else None, channel=channel, kind=kind, details={}, province="Tây Ninh",
                segment_consent=True, active=active, end_reason=end_reason, ended_at=ago(ended) if ended else None)
            ).inserted_primary_key[0]

    a = sub("tg-1001", "telegram", "vsi_payment", 20)
    b = sub("zl-77", "zalo", "news", 12)
    c = sub("web-5", "socketio", "vsi_payment", 5, active=False, end_reason="user", ended=3)
    sub("web-6", "socketio", "news", 4, active=False, end_reason="restart", ended=2)  # a shared device: no opt-out
    campaign = C.create_campaign(eng, sup, "Tin đã gửi", "Nội dung", {})
    C.schedule(eng, campaign, repo.now() + dt.timedelta(minutes=1))
    C.mark(eng, campaign, "sending", recipients=3)
    C.mark(eng, campaign, "sent")
    C.record_test(eng, campaign, sup)  # a test: never counted
    rows = [  # (key, subscription, campaign, channel, status, days ago)
        (f"reminder:{a}:1", a, None, "telegram", "delivered", 8), (f"reminder:{a}:2", a, None, "telegram", "delivered", 1),
        (f"reminder:{b}:1", b, None, "zalo", "undeliverable", 5), (f"reminder:{a}:3", a, None, "telegram", "sent", 3),
        (f"reminder:{c}:1", c, None, "socketio", "waiting_visit", 4),
        (f"campaign:{campaign}:{a}", a, campaign, "telegram", "delivered", 4),
        (f"campaign:{campaign}:{b}", b, campaign, "zalo", "undeliverable", 4),
        (f"campaign:{campaign}:{c}", c, campaign, "socketio", "delivered", 4),
        ("reminder:old", a, None, "telegram", "delivered", 200),
    ]
    with eng.begin() as conn:
        for key, s, cid, channel, status, days in rows:
            conn.execute(outreach_deliveries.insert().values(
                key=key, created_at=ago(days), due_at=ago(days), subscription_id=s, campaign_id=cid, channel=channel,
                text="Nhắc đóng tiền", status=status, reason="ngoài 48 giờ của Zalo" if status == "undeliverable" else None,
                finished_at=ago(days)))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp}/cases.db"
    db.upgrade(url)
    eng = db.make_engine(url)
    staff = {"pm": repo.create_staff(eng, "pm", PASSWORDS["pm"], "programme_manager", display_name="Quản lý Hương"),
             "sup": repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor", display_name="Giám sát viên Lan")}
    fill_events(tmp / "events.db")
    case_ids = seed_cases(eng, staff["sup"])
    seed_outreach(eng, staff["sup"])
    settings = load(env={}, rasa_url="http://127.0.0.1:9", events_url=f"sqlite:///{tmp}/events.db")
    server = ConsoleServer(create_app(db.make_engine(url), settings))
    server.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.port}", "eng": eng, "events": create_engine(f"sqlite:///{tmp}/events.db"),
               "tmp": tmp, "staff": staff, "cases": case_ids}
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
    page_shot(d, REPORTS / f"{name}_{px}.png", px, max_height=12000)


def login(d, site, username):
    d.delete_all_cookies()
    d.get(site["url"] + "/login")
    d.find_element(By.ID, "username").send_keys(username)
    d.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    form = d.find_element(By.ID, "login-form")
    d.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    # Left the page. chromedriver may answer a query on the page being replaced with an "inspector error": retried.
    WebDriverWait(d, 10, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(form))


def page_table(d, table_id):
    """The rows of a table on the page, as its cells read."""
    rows = d.find_elements(By.CSS_SELECTOR, f"#table-{table_id} tbody tr")
    return [[c.get_attribute("textContent").strip() for c in r.find_elements(By.TAG_NAME, "td")] for r in rows]


def header(d, table_id):
    return [c.get_attribute("textContent").strip() for c in d.find_elements(By.CSS_SELECTOR, f"#table-{table_id} thead th")]


def number(cell):
    """A page cell as the CSV has it: "1.234" -> "1234", "—" -> ""."""
    if cell == "—":
        return ""
    return cell.replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})*", cell) else cell


def fetch(d, site, path):
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in d.get_cookies())
    req = urllib.request.Request(site["url"] + path, headers={"Cookie": cookies})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read()


def check_csv_against_page(d, site, table_id, query):
    status, headers, body = fetch(d, site, f"/dashboard/{table_id}.csv?{query}")
    assert status == 200 and headers["Content-Type"].startswith("text/csv") and "attachment" in headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == header(d, table_id) or not d.find_elements(By.ID, f"table-{table_id}"), table_id
    assert rows[1:] == [[number(c) for c in r] for r in page_table(d, table_id)], table_id
    for sender in SENDERS:
        assert sender.encode() not in body
    return rows


def totals(d):
    return {e.get_attribute("id")[len("total-"):]: e.text for e in d.find_elements(By.CSS_SELECTOR, "#totals dd")}


def in_period(site):
    """The dashboard's default period (the last 12 weeks up to today) as UTC bounds and epoch seconds."""
    from outreach.metrics import last_weeks

    p = last_weeks(dt.datetime.now(VN).date())
    return p, p.utc_start, p.utc_end, p.utc_start.replace(tzinfo=dt.timezone.utc).timestamp()


def test_the_dashboard_figures_match_the_databases_and_the_csv_files(site, browser):
    d, eng, events = browser, site["eng"], site["events"]
    width(d, 1280)
    login(d, site, "pm")
    d.get(site["url"] + "/dashboard")
    WebDriverWait(d, 30).until(EC.presence_of_element_located((By.ID, "totals")))
    assert not d.find_elements(By.ID, "no-events")
    period, lo, hi, lo_ts = in_period(site)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"

    # Users by week and channel, counted here with SQLite's JSON functions straight from Rasa's rows.
    week = "date(json_extract(data, '$.timestamp'), 'unixepoch', '+7 hours', '-6 days', 'weekday 1')"
    user_rows = ("FROM events WHERE json_extract(data, '$.event') = 'user' AND json_extract(data, '$.timestamp') >= :lo "
                 "AND json_extract(data, '$.text') NOT LIKE 'EXTERNAL: %'")
    with events.connect() as conn:
        expected_users = {(dt.date.fromisoformat(w).strftime("%d/%m/%Y"), ch): n for w, ch, n in conn.execute(text(
            f"SELECT {week}, json_extract(data, '$.input_channel'), count(DISTINCT sender_id) {user_rows} GROUP BY 1, 2"),
            {"lo": lo_ts})}
        all_users = conn.execute(text(f"SELECT count(DISTINCT sender_id) {user_rows}"), {"lo": lo_ts}).scalar()
        sessions = conn.execute(text(  # sessions of the period with a user message: each began with session_started
            "SELECT count(*) FROM (SELECT sender_id, id FROM events s WHERE json_extract(data, '$.event') = 'session_started' "
            "AND json_extract(data, '$.timestamp') >= :lo AND EXISTS (SELECT 1 FROM events u WHERE u.sender_id = s.sender_id "
            "AND u.id > s.id AND json_extract(u.data, '$.event') = 'user' AND json_extract(u.data, '$.text') NOT LIKE 'EXTERNAL: %' "
            "AND NOT EXISTS (SELECT 1 FROM events n WHERE n.sender_id = s.sender_id AND n.id > s.id AND n.id < u.id "
            "AND json_extract(n.data, '$.event') = 'session_started')))"), {"lo": lo_ts}).scalar()
    labels = {"telegram": "Telegram", "zalo": "Zalo", "socketio": "Trang web", "rest": "REST"}
    shown = page_table(d, "conversations_channel")
    assert {(w, ch): int(u) for w, ch, _c, u in shown} == {(w, labels[ch]): n for (w, ch), n in expected_users.items()}
    per_channel = {}
    for _w, ch, conv, _u in shown:
        per_channel[ch] = per_channel.get(ch, 0) + int(conv)
    assert per_channel == {"Telegram": 3, "Zalo": 1, "Trang web": 1, "REST": 1}  # tg-1001 twice (a new session), tg-2002
    t = totals(d)
    assert int(t["conversations"]) == sessions == 6 and int(t["users"]) == all_users == 5
    assert int(t["calculations"]) == 4
    provinces = {(r[1]): 0 for r in page_table(d, "conversations_province")}
    for _w, province, conv, _u in page_table(d, "conversations_province"):
        provinces[province] += int(conv)
    assert provinces == {"Tây Ninh": 3, "Hà Nội": 1, "Cà Mau": 1, "Chưa rõ": 1}

    assert [(r[1], r[2]) for r in page_table(d, "topics")] == [
        ("vsi_contribution", "3"), ("hi_household", "1"), ("ui_benefit_amount", "1"), ("vsi_what", "1")]
    assert page_table(d, "calculators") == [["BHXH tự nguyện", "3", "3"], ["Trợ cấp thất nghiệp", "1", "1"]]
    # asked 5; calculated 4 (not web-5); referred after the calculation 3 (not tg-2002); of those, subscribed
    with eng.connect() as conn:
        subscribed = conn.execute(select(func.count(subscriptions.c.sender_hash.distinct())).where(
            subscriptions.c.sender_hash.in_([repo.sender_hash(s) for s in ("tg-1001", "zl-77", "rest-9")]))).scalar()
    assert subscribed == 2  # tg-1001 (reminders), zl-77 (news)
    assert [r[1:] for r in page_table(d, "funnel")] == [["5", "100"], ["4", "80"], ["3", "60"], ["2", "40"]]

    # Cases, against the case tables.
    with eng.connect() as conn:
        opened = conn.execute(select(func.count()).select_from(cases).where(cases.c.created_at >= lo, cases.c.created_at < hi)).scalar()
        resolved = conn.execute(select(func.count()).select_from(cases).where(
            cases.c.closed_reason == "resolved", cases.c.resolved_at >= lo, cases.c.resolved_at < hi)).scalar()
        in_cases = conn.execute(select(cases.c.id, cases.c.created_at, cases.c.resolved_at, cases.c.closed_reason)
                                .where(cases.c.created_at >= lo)).all()
        firsts = dict(conn.execute(select(case_messages.c.case_id, func.min(case_messages.c.created_at))
                                   .where(case_messages.c.direction == "staff").group_by(case_messages.c.case_id)).all())
        delivered = conn.execute(select(func.count()).select_from(outreach_deliveries).where(
            outreach_deliveries.c.status == "delivered", outreach_deliveries.c.created_at >= lo,
            ~outreach_deliveries.c.key.like("test:%"))).scalar()
        by_status = {(kind, status): n for kind, status, n in conn.execute(text(
            "SELECT CASE WHEN campaign_id IS NULL THEN 'reminder' ELSE 'campaign' END, status, count(*) FROM outreach_deliveries "
            "WHERE created_at >= :lo AND key NOT LIKE 'test:%' GROUP BY 1, 2"), {"lo": lo})}
        opt_outs = conn.execute(select(func.count()).select_from(subscriptions).where(
            subscriptions.c.end_reason == "user", subscriptions.c.ended_at >= lo)).scalar()
        active = conn.execute(select(func.count()).select_from(subscriptions).where(subscriptions.c.active.is_(True))).scalar()
    assert (int(t["cases_opened"]), int(t["cases_resolved"])) == (opened, resolved) == (4, 2)
    assert sum(int(r[1]) for r in page_table(d, "cases_week")) == opened
    assert all(any(c != "0" for c in r[1:]) for r in page_table(d, "cases_week"))  # weeks without a case left out
    assert sum(int(r[2]) for r in page_table(d, "cases_week")) == resolved
    replies = sorted((firsts[c] - created).total_seconds() / 60 for c, created, _r, _w in in_cases if c in firsts)
    resolutions = sorted((r - created).total_seconds() / 60 for _c, created, r, why in in_cases if why == "resolved")
    median = lambda xs: round((xs[len(xs) // 2] + xs[(len(xs) - 1) // 2]) / 2)  # noqa: E731
    assert page_table(d, "case_times") == [
        ["Từ lúc mở đến tin nhắn đầu tiên của cán bộ", str(len(replies)), str(median(replies)), str(median(replies))],
        ["Từ lúc mở đến khi cán bộ giải quyết xong", str(len(resolutions)), format(median(resolutions), ",").replace(",", "."),
         format(median(resolutions), ",").replace(",", ".")]]
    assert median(replies) == 60 and median(resolutions) == 1620
    assert page_table(d, "ratings") == [[f"{n} điểm", str(int(n in (3, 5)))] for n in range(1, 6)]  # not last year's 1
    assert "Điểm trung bình: 4,0 trên 2 lượt." in d.find_element(By.ID, "section-ratings").text
    statuses = ("pending", "sent", "delivered", "undeliverable", "waiting_visit", "skipped")
    assert page_table(d, "outreach") == [
        [label] + [str(by_status.get((kind, s), 0)) for s in statuses]
        for kind, label in (("reminder", "Tin nhắc"), ("campaign", "Tin chiến dịch"))]
    assert int(t["reminders_delivered"]) == delivered == 4
    assert int(t["opt_outs"]) == opt_outs == 1 and int(t["active_subscriptions"]) == active == 2

    # Charts: SVG drawn on the server, shown as images the page's CSP allows.
    charts = d.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(charts) >= 8
    for img in charts:
        assert img.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 0
        assert img.get_attribute("alt")
    csp = fetch(d, site, "/dashboard")[1]["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'self'" in csp and "img-src 'self' data:" in csp

    # Every table's CSV is the table on the page; nowhere a sender id, a phone number, a message.
    source = d.page_source
    for secret in SENDERS + ("0912345678", "nợ lương", "thu nhập 3 triệu"):
        assert secret not in source
    ids = [e.get_attribute("id")[len("csv-"):] for e in d.find_elements(By.CSS_SELECTOR, "a[id^=csv-]")]
    assert len(ids) == 12
    for table_id in ids:
        check_csv_against_page(d, site, table_id, query)
    shot(d, "dashboard", 1280)
    shot(d, "dashboard", 360)

    # Another period: only the weeks asked for.
    d.get(site["url"] + f"/dashboard?from={(dt.datetime.now(VN).date() - dt.timedelta(days=3)).isoformat()}")
    assert int(totals(d)["conversations"]) == 2  # tg-2002, rest-9
    assert int(totals(d)["cases_opened"]) == 1


def test_the_targets_page_sets_the_assistants_figures_beside_decision_176(site, browser):
    d = browser
    width(d, 1280)
    login(d, site, "pm")
    d.get(site["url"] + "/dashboard/targets")
    WebDriverWait(d, 30).until(EC.presence_of_element_located((By.ID, "table-targets")))
    period, *_ = in_period(site)
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
    assert "không phải tỷ lệ bao phủ bảo hiểm xã hội của cả nước" in d.find_element(By.ID, "disclaimer").text
    rows = page_table(d, "targets")
    assert [r[1:3] for r in rows] == [["khoảng 2,5% lực lượng lao động", "khoảng 5% lực lượng lao động"], ["45%", "60%"],
                                      ["40%", "45%"], ["nhiệm vụ (không có chỉ tiêu số)"] * 2]
    sections = ["mục II.2, điểm d", "mục II.2, điểm d", "mục II.2, điểm đ", "mục III.4, điểm c"]
    assert [r[3] for r in rows] == [f"Quyết định 176/QĐ-TTg, {section}" for section in sections]
    assert "Quyết định 176/QĐ-TTg ngày 05/02/2021" in d.page_source
    assert [r[5] for r in rows] == ["2", "2", "1", "2"]  # tg-1001 and rest-9 after a VSI calculation; zl-77; two cases
    month = lambda days: (dt.datetime.now(VN) - dt.timedelta(days=days)).strftime("%m/%Y")  # noqa: E731
    expected = {}
    for days in (20, 2):
        expected[(month(days), "Tây Ninh")] = expected.get((month(days), "Tây Ninh"), 0) + 1
    assert {(m, p): int(n) for m, p, n in page_table(d, "vsi_referrals")} == expected
    assert page_table(d, "unemployment_referrals") == [[month(13), "Hà Nội", "1"]]
    legal = page_table(d, "legal_advice")
    assert sum(int(r[1]) for r in legal) == 2 and sum(int(r[2]) for r in legal) == 1
    assert "1 người đang nhận nhắc đóng BHXH tự nguyện" in d.find_element(By.ID, "vsi-reminders").text
    for table_id in ("targets", "vsi_referrals", "insurance_referrals", "unemployment_referrals", "legal_advice"):
        check_csv_against_page(d, site, table_id, query)
    shot(d, "dashboard_targets", 1280)
    shot(d, "dashboard_targets", 360)


def test_a_supervisor_previews_tests_and_schedules_a_campaign(site, browser):
    d, eng = browser, site["eng"]
    width(d, 1280)
    login(d, site, "sup")
    d.get(site["url"] + "/campaigns")
    d.find_element(By.ID, "new-campaign").click()
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.ID, "campaign-form")))
    d.find_element(By.ID, "campaign-title").send_keys("Nhắc đóng BHXH tự nguyện tháng này")
    d.find_element(By.ID, "campaign-text").send_keys(
        "Chào anh/chị, hạn đóng BHXH tự nguyện tháng này sắp hết. Anh/chị đóng tại bưu điện, đại lý thu hoặc VssID nhé.")
    Select(d.find_element(By.ID, "segment-province")).select_by_visible_text("Tây Ninh")
    form = d.find_element(By.ID, "campaign-form")
    d.find_element(By.CSS_SELECTOR, "#campaign-form button[type=submit]").click()
    WebDriverWait(d, 10, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(form))  # left the page
    count = int(d.find_element(By.ID, "recipient-count").text)
    assert count == C.count_recipients(eng, {"province": "Tây Ninh"}) == 2  # tg-1001, zl-77 (web-5 opted out)
    assert d.find_element(By.ID, "preview").text.startswith("Chào anh/chị, hạn đóng")
    assert d.find_element(By.ID, "preview-button").text == "Dừng nhắc"
    d.find_element(By.CSS_SELECTOR, "#test-form button").click()
    WebDriverWait(d, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#tests .test.shown")))
    assert "Bản thử lần 1" in d.find_element(By.CSS_SELECTOR, "#tests .test.shown").text
    cid = int(d.current_url.split("/campaigns/")[1].split("?")[0])
    assert [t["key"] for t in C.tests_of(eng, cid)] == [f"test:{cid}:{site['staff']['sup']}:1"]
    shot(d, "dashboard_campaign", 1280)
    shot(d, "dashboard_campaign", 360)
    width(d, 1280)
    at = (dt.datetime.now(VN) + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    field = d.find_element(By.ID, "schedule-at")
    d.execute_script("arguments[0].value = arguments[1]", field, at.strftime("%Y-%m-%dT%H:%M"))
    form = d.find_element(By.ID, "schedule-form")
    d.find_element(By.CSS_SELECTOR, "#schedule-form button").click()
    WebDriverWait(d, 10, ignored_exceptions=(WebDriverException,)).until(EC.staleness_of(form))  # left the page
    assert d.find_element(By.ID, "campaign-status").text == "Đã hẹn giờ gửi"
    assert d.find_element(By.ID, "scheduled-at").text == at.strftime("%H:%M %d/%m/%Y")
    assert C.get_campaign(eng, cid)["scheduled_at"] == at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    d.get(site["url"] + "/campaigns")
    assert "Đã hẹn giờ gửi" in d.find_element(By.ID, f"campaign-{cid}").text
    shot(d, "dashboard_campaigns", 360)
