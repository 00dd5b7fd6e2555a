"""Campaigns (outreach/campaigns.py) and their pages in the staff console (channels/console/campaign_views.py):
who a segment reaches (only active subscriptions; province, group and topic only with the person's consent for
segments), the life cycle (schedule only ahead, cancel before it goes out, never after), law-change drafts from
knowledge/ (once, 30 days ahead), and the console: roles, CSRF, the recipient count, the preview, a test to
oneself, scheduling in Vietnam time. Against a temporary SQLite database migrated by Alembic.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import update

from cases import repository as repo
from cases.schema import subscriptions
from channels.console import campaign_views
from knowledge import content, parameters
from knowledge.registry import problems, registry
from outreach import campaigns as C
from tests.test_console import eng, make_console  # noqa: F401 - fixtures

PASSWORDS = {"sup": "giam-sat-vien-1", "tn1": "can-bo-tay-ninh-1", "pm": "quan-ly-chuong-trinh"}
FORM = re.compile(r"<form[^>]*method=\"post\".*?</form>", re.S)


def subscribe(eng, sender, channel="telegram", kind="news", *, province=None, group=None, topic=None, consent=True,
              active=True, end_reason=None):
    """A subscription row as outreach/subscriptions.py makes it (segment facts only with consent)."""
    t = repo.now()
    with eng.begin() as conn:
        return conn.execute(subscriptions.insert().values(
            created_at=t, updated_at=t, sender_hash=repo.sender_hash(sender), sender_id=sender if active else None,
            channel=channel, kind=kind, details={}, province=province, group=group, topic=topic, segment_consent=consent,
            active=active, ended_at=None if active else t, end_reason=end_reason)).inserted_primary_key[0]


@pytest.fixture
def people(eng):
    """Seven subscriptions: Tây Ninh on Telegram and Zalo, a Hà Nội farmer, one without consent for segments
    (its province kept by mistake must still not match), one who opted out, one subscribed twice."""
    return {
        "tn_tg": subscribe(eng, "tg-1", "telegram", "vsi_payment", province="Tây Ninh", group="farmer", topic="vsi_contribution"),
        "tn_zl": subscribe(eng, "zl-1", "zalo", "news", province="Tây Ninh", group="informal"),
        "hn_tg": subscribe(eng, "tg-2", "telegram", "news", province="Hà Nội", group="farmer", topic="hi_household"),
        "no_consent": subscribe(eng, "tg-3", "telegram", "news", province="Tây Ninh", group="farmer", consent=False),
        "opted_out": subscribe(eng, "tg-4", "telegram", "news", province="Tây Ninh", active=False, end_reason="user"),
        "twice_a": subscribe(eng, "web-1", "socketio", "vsi_payment", province="Tây Ninh", group="poor"),
        "twice_b": subscribe(eng, "web-1", "socketio", "news", province="Tây Ninh", group="poor"),
    }


def ids(rows):
    return sorted(r["id"] for r in rows)


# --- segments ---------------------------------------------------------------------------------------------


def test_a_segment_reaches_only_active_subscriptions_and_its_facts_only_with_consent(eng, people):
    p = people
    everyone = [p["tn_tg"], p["tn_zl"], p["hn_tg"], p["no_consent"], p["twice_a"]]
    assert ids(C.recipients(eng, {})) == sorted(everyone)  # not the one who opted out; web-1 once
    assert C.count_recipients(eng, {}) == 5
    # province is a segment fact: tg-3's province is there, but without consent for segments it does not count
    assert ids(C.recipients(eng, {"province": "Tây Ninh"})) == sorted([p["tn_tg"], p["tn_zl"], p["twice_a"]])
    assert C.count_recipients(eng, {"province": "Tây Ninh", "channel": "telegram"}) == 1
    assert ids(C.recipients(eng, {"group": "farmer"})) == sorted([p["tn_tg"], p["hn_tg"]])
    assert ids(C.recipients(eng, {"topic": "hi_household"})) == [p["hn_tg"]]
    # channel and kind are no segment facts: every active subscription of that channel or kind
    assert ids(C.recipients(eng, {"channel": "telegram"})) == sorted([p["tn_tg"], p["hn_tg"], p["no_consent"]])
    assert ids(C.recipients(eng, {"kind": "vsi_payment"})) == sorted([p["tn_tg"], p["twice_a"]])
    assert ids(C.recipients(eng, {"kind": "news", "channel": "socketio"})) == [p["twice_b"]]
    assert C.recipients_by_channel(eng, {"province": "Tây Ninh"}) == {"socketio": 1, "telegram": 1, "zalo": 1}
    # empty values are no filter; an unknown key or kind is refused
    assert C.count_recipients(eng, {"province": "", "group": None}) == 5
    assert C.count_recipients(eng, {"province": "Cà Mau"}) == 0
    with pytest.raises(C.InvalidCampaign):
        C.recipients(eng, {"age": "30"})
    with pytest.raises(C.InvalidCampaign):
        C.recipients(eng, {"kind": "lottery"})


def test_a_subscription_that_ends_leaves_the_segment(eng, people):
    assert C.count_recipients(eng, {"province": "Tây Ninh"}) == 3
    with eng.begin() as conn:
        conn.execute(update(subscriptions).where(subscriptions.c.id == people["tn_zl"]).values(
            active=False, sender_id=None, end_reason="user"))
    assert C.count_recipients(eng, {"province": "Tây Ninh"}) == 2


# --- the life cycle -----------------------------------------------------------------------------------------


def test_schedule_only_ahead_cancel_only_before_it_goes_out(eng, people):
    staff = repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor")
    cid = C.create_campaign(eng, staff, "Nhắc đóng tiền", "Anh/chị nhớ đóng BHXH tự nguyện nhé.", {"province": "Tây Ninh"})
    c = C.get_campaign(eng, cid)
    assert c["status"] == "draft" and c["segment"] == {"province": "Tây Ninh"} and c["source"] == "staff"
    with pytest.raises(C.InvalidCampaign):
        C.create_campaign(eng, staff, " ", "x", {})
    with pytest.raises(C.InvalidCampaign):
        C.create_campaign(eng, staff, "x", "", {})
    with pytest.raises(C.InvalidCampaign):
        C.create_campaign(eng, staff, "x", "y" * (C.TEXT_LIMIT + 1), {})

    with pytest.raises(C.InvalidCampaign):
        C.schedule(eng, cid, repo.now() - dt.timedelta(minutes=1), staff_id=staff)
    assert C.get_campaign(eng, cid)["status"] == "draft"
    at = repo.now() + dt.timedelta(hours=2)
    assert C.schedule(eng, cid, at, staff_id=staff)["status"] == "scheduled"
    # an aware time is converted to naive UTC
    vn = (at + dt.timedelta(hours=1)).replace(tzinfo=dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert C.schedule(eng, cid, vn, staff_id=staff)["scheduled_at"] == (at + dt.timedelta(hours=1)).replace(microsecond=at.microsecond)
    with pytest.raises(C.CampaignStateError):
        C.edit_campaign(eng, cid, "Sửa", "Sửa", {}, staff_id=staff)  # only a draft is edited
    assert C.due_campaigns(eng, repo.now()) == []
    assert [d["id"] for d in C.due_campaigns(eng, at + dt.timedelta(hours=1))] == [cid]

    # the scheduler claims it: from then on it cannot be cancelled, nor claimed twice
    assert C.mark(eng, cid, "sending", recipients=3)["status"] == "sending"
    with pytest.raises(C.CampaignStateError):
        C.mark(eng, cid, "sending")
    with pytest.raises(C.CampaignLocked) as locked:
        C.cancel(eng, cid, staff_id=staff)
    assert locked.value.status == "sending"
    with pytest.raises(C.CampaignStateError):
        C.schedule(eng, cid, at + dt.timedelta(days=1))
    assert C.due_campaigns(eng, at + dt.timedelta(days=1)) == []
    done = C.mark(eng, cid, "sent")
    assert done["status"] == "sent" and done["recipients"] == 3 and done["sent_at"] is not None
    assert C.mark(eng, cid, "sent")["status"] == "sent"  # again: nothing changes
    with pytest.raises(C.CampaignLocked):
        C.cancel(eng, cid)
    with pytest.raises(ValueError):
        C.mark(eng, cid, "draft")

    # a draft and a scheduled campaign are cancelled; a cancelled one is neither scheduled nor claimed
    draft = C.create_campaign(eng, staff, "Bản nháp", "Nội dung", {})
    assert C.cancel(eng, draft, staff_id=staff)["status"] == "cancelled"
    assert C.cancel(eng, draft)["status"] == "cancelled"
    other = C.create_campaign(eng, staff, "Hẹn giờ", "Nội dung", {})
    C.schedule(eng, other, at)
    cancelled = C.cancel(eng, other, staff_id=staff)
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] is not None
    with pytest.raises(C.CampaignStateError):
        C.mark(eng, other, "sending")
    with pytest.raises(C.CampaignStateError):
        C.schedule(eng, other, at)
    assert C.due_campaigns(eng, at + dt.timedelta(days=1)) == []
    with pytest.raises(C.NoSuchCampaign):
        C.cancel(eng, 999)

    actions = [e["action"] for e in repo.audit_entries(eng) if (e["detail"] or {}).get("campaign") == cid]
    assert actions == ["campaign_created", "campaign_scheduled", "campaign_scheduled", "campaign_sending", "campaign_sent"]
    assert all("Tây Ninh" not in str(e["detail"]) for e in repo.audit_entries(eng))  # no segment values, no personal data


def test_a_test_is_an_outreach_delivery_to_the_console_numbered_per_staff(eng):
    a = repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor")
    b = repo.create_staff(eng, "sup2", PASSWORDS["sup"], "supervisor")
    cid = C.create_campaign(eng, a, "Thử", "Xin chào <b>anh/chị</b>", {})
    first, second, other = C.record_test(eng, cid, a), C.record_test(eng, cid, a), C.record_test(eng, cid, b)
    assert [first["key"], second["key"], other["key"]] == [f"test:{cid}:{a}:1", f"test:{cid}:{a}:2", f"test:{cid}:{b}:1"]
    assert first["channel"] == "console" and first["status"] == "delivered" and first["text"] == "Xin chào <b>anh/chị</b>"
    assert first["campaign_id"] == cid and first["subscription_id"] is None and first["finished_at"] is not None
    assert [t["key"] for t in C.tests_of(eng, cid, a)] == [f"test:{cid}:{a}:2", f"test:{cid}:{a}:1"]
    assert C.delivery_counts(eng, cid) == {}  # tests are not deliveries of the campaign


def test_the_channel_split_follows_the_connectors():
    """What the console shows per channel is what channels/telegram.py and channels/zalo.py would send."""
    from channels.common import split_message
    from channels.telegram import MAX_MESSAGE, to_html
    from channels.zalo import MAX_ZALO_TEXT, numbered

    assert (C.TELEGRAM_LIMIT, C.ZALO_LIMIT) == (MAX_MESSAGE, MAX_ZALO_TEXT)
    text = ("Đoạn một <dài> & có ký hiệu. " * 60 + "\n\n") * 3
    splits = {s.channel: s for s in C.channel_splits(text, "Dừng nhắc")}
    assert list(splits["telegram"].pieces) == split_message(to_html(text), MAX_MESSAGE)
    assert list(splits["zalo"].pieces) == split_message(numbered(text, [{"title": "Dừng nhắc"}]), MAX_ZALO_TEXT)
    assert len(splits["telegram"].pieces) == len(splits["zalo"].pieces) == 3  # a paragraph each
    assert splits["socketio"].pieces == (text,)
    short = {s.channel: s.lengths for s in C.channel_splits("Chào anh/chị", None)}
    assert short == {"telegram": (12,), "zalo": (12,), "socketio": (12,)}


# --- law-change drafts ----------------------------------------------------------------------------------------


def test_a_law_change_within_30_days_is_drafted_once_with_its_caution(eng):
    day = dt.date(2026, 12, 15)  # the rural poverty line rises on 01/01/2027: 17 days
    made = C.law_change_drafts(eng, day)
    drafts = {c["parameter"]: c for c in C.list_campaigns(eng)}
    assert "rural_poverty_line" in drafts and len(made) == len(drafts)
    d = drafts["rural_poverty_line"]
    assert d["status"] == "draft" and d["source"] == "law_change" and d["effective"] == dt.date(2027, 1, 1)
    assert d["segment"] == {} and d["created_by"] is None and d["scheduled_at"] is None
    new, now_ = parameters.get("rural_poverty_line", dt.date(2027, 1, 1)), parameters.get("rural_poverty_line", day)
    rate = parameters.value("vsi_contribution_rate", day)
    from knowledge.money import vnd

    assert "01/01/2027" in d["title"] and "chuẩn nghèo nông thôn" in d["title"]
    for figure in (vnd(now_.value), vnd(new.value), vnd(now_.value * rate), vnd(new.value * rate)):
        assert figure in d["text"], figure
    assert new.caution and new.caution in d["text"]  # with its caution: the minimum is not confirmed yet
    assert "Căn cứ" in d["text"] and len(d["text"]) <= C.TEXT_LIMIT
    # every other parameter changing then gets the generic notice
    assert set(drafts) == {name for name, _day in C.upcoming_changes(day)}
    # once: opening the page again, even after the draft is cancelled, drafts nothing more
    assert C.law_change_drafts(eng, day) == []
    C.cancel(eng, d["id"])
    assert C.law_change_drafts(eng, day + dt.timedelta(days=3)) == []
    assert len(C.list_campaigns(eng)) == len(drafts)
    assert [e["detail"]["parameter"] for e in repo.audit_entries(eng, action="law_change_draft_created")
            if e["detail"]["parameter"] == "rural_poverty_line"] == ["rural_poverty_line"]


def test_no_draft_when_the_change_is_60_days_away(eng):
    assert C.upcoming_changes(dt.date(2026, 11, 2)) == []  # 60 days before 01/01/2027
    assert C.law_change_drafts(eng, dt.date(2026, 11, 2)) == []
    assert C.list_campaigns(eng) == []
    assert "rural_poverty_line" in [n for n, _d in C.upcoming_changes(dt.date(2026, 11, 2), within_days=60)]


def test_the_notices_are_valid_content_with_every_number_from_the_parameters(monkeypatch):
    """notices.yaml loads (no typed figure), is no topic's answer, renders within the budget on the days the
    rules change, and each number changes when the parameters do (tests/test_figures_traceable.py's method)."""
    from tests import test_figures_traceable as traceable

    entries = {k: e for k, e in content.content().entries.items() if k.startswith("notice.")}
    assert {"notice.rural_poverty_line", "notice.generic", "notice.title.generic", "notice.title.rural_poverty_line"} <= set(entries)
    assert not [p for p in problems(registry(), content.content().entries, {}) if "notice" in p]

    def render_all():
        out = {}
        for day in traceable.DAYS:
            for key, entry in entries.items():
                for n, inputs in enumerate(entry.variants or [{}]):
                    r = content.render(key, day, inputs)
                    assert r.text and len(r.text) <= content.MAIN_TEXT_BUDGET, (key, day, len(r.text))
                    out[(key, n, day)] = (r.text, inputs)
        return out

    real = render_all()
    renders = []
    for a, b in traceable.PERTURBATIONS:
        reg = traceable._perturbed_registry(a, b)
        monkeypatch.setattr(parameters, "registry", lambda reg=reg: reg)
        renders.append(render_all())
    literals = {}
    for key, (text, inputs) in real.items():
        before = traceable._figures(text)
        same = set.intersection(*(traceable._unchanged(before, traceable._figures(r[key][0])) for r in renders))
        same -= traceable._allowed(inputs, key[2])
        if same:
            literals[key] = sorted(same)
    assert not literals


def test_the_generic_notice_names_the_new_value():
    title, text = C.notice("base_salary", dt.date(2026, 7, 1), dt.date(2026, 6, 20))
    assert title == "Từ 01/07/2026: thay đổi về mức lương cơ sở"
    assert "2.530.000 đồng/tháng" in text and "2.340.000 đồng/tháng" in text and "Nghị định 161/2026/NĐ-CP" in text
    title, text = C.notice("poverty_standard_2027", dt.date(2027, 1, 1), dt.date(2026, 12, 15))
    assert "bắt đầu áp dụng quy định mới về chuẩn nghèo đa chiều" in text


# --- the console ------------------------------------------------------------------------------------------------


@pytest.fixture
def accounts(eng):
    return {
        "sup": repo.create_staff(eng, "sup", PASSWORDS["sup"], "supervisor", display_name="Giám sát viên Lan"),
        "tn1": repo.create_staff(eng, "tn1", PASSWORDS["tn1"], "officer", province="Tây Ninh"),
        "pm": repo.create_staff(eng, "pm", PASSWORDS["pm"], "programme_manager"),
    }


@pytest.fixture
async def site(make_console, accounts, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(campaign_views, "today", lambda: dt.date(2026, 12, 15))

    async def login(username):
        console = await make_console(events_url=f"sqlite:///{tmp_path}/no-events.db")
        r, _ = await console.login(username, PASSWORDS[username])
        assert r.status == 302
        return console

    return login


async def test_officers_and_programme_managers_have_no_campaign_pages(site, eng, accounts):
    cid = C.create_campaign(eng, accounts["sup"], "Nhắc", "Nội dung", {})
    for who in ("tn1", "pm"):
        console = await site(who)
        await console.get("/figures" if who == "pm" else "/")  # a valid token for the forged forms
        for path in ("/campaigns", "/campaigns/new", f"/campaigns/{cid}"):
            r, text = await console.get(path)
            assert r.status == 403 and "không có quyền" in text, (who, path)
        for path, data in (("/campaigns/new", {"title": "x", "text": "y"}), (f"/campaigns/{cid}/test", {}),
                           (f"/campaigns/{cid}/schedule", {"at": "2030-01-01T08:00"}), (f"/campaigns/{cid}/cancel", {}),
                           (f"/campaigns/{cid}/edit", {"title": "x", "text": "y"})):
            r, _ = await console.post(path, data)
            assert r.status == 403, (who, path)
        r, _ = await console.get("/campaigns/999")
        assert r.status == 403  # not even whether it exists
    assert C.get_campaign(eng, cid)["status"] == "draft" and len(C.list_campaigns(eng)) == 1
    assert C.tests_of(eng, cid) == []
    officer = await site("tn1")
    for path in ("/dashboard", "/dashboard/targets", "/dashboard/funnel.csv"):
        r, _ = await officer.get(path)
        assert r.status == 403, path


async def test_a_programme_manager_sees_the_dashboard_only(site, eng, tmp_path):
    pm = await site("pm")
    r, text = await pm.get("/dashboard")
    assert r.status == 200 and "Bảng số liệu chương trình" in text
    assert 'id="no-events"' in text and "Chưa có dữ liệu" in text  # no event broker database yet
    assert not (tmp_path / "no-events.db").exists()  # and none is created by looking
    assert 'href="/campaigns"' not in text and 'href="/dashboard"' in text
    r, text = await pm.get("/dashboard/targets")
    assert r.status == 200 and "không phải tỷ lệ bao phủ" in text and "Quyết định 176/QĐ-TTg" in text
    r = await pm.client.get("/dashboard/funnel.csv")
    body = await r.read()
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff".encode()) and body.decode("utf-8-sig").splitlines() == ["Bước,Số người,So với số người đã hỏi (%)"]
    r = await pm.client.get("/dashboard/nothing.csv")
    assert r.status == 404


async def test_a_supervisor_writes_previews_tests_schedules_and_cancels_a_campaign(site, eng, accounts, people):
    sup = await site("sup")
    r, text = await sup.get("/campaigns")  # opening the list drafts the coming law changes (today: 15/12/2026)
    assert r.status == 200 and 'id="drafts-made"' in text and "Từ thay đổi pháp luật" in text
    law = next(c for c in C.list_campaigns(eng) if c["parameter"] == "rural_poverty_line")
    assert f'id="campaign-{law["id"]}"' in text
    _, again = await sup.get("/campaigns")
    assert 'id="drafts-made"' not in again and len(C.list_campaigns(eng)) == len(C.upcoming_changes(dt.date(2026, 12, 15)))

    r, text = await sup.get("/campaigns/new")
    assert r.status == 200 and '<option value="Tây Ninh"' in text and 'value="vsi_contribution"' in text
    assert all('name="csrf_token"' in f for f in FORM.findall(text))
    r, _ = await sup.post("/campaigns/new", {"title": "x", "text": "y"}, csrf=False)
    assert r.status == 403
    r, text = await sup.post("/campaigns/new", {"title": "Nhắc", "text": "  ", "province": "Tây Ninh"})
    assert r.status == 400 and "Vui lòng nhập nội dung" in text and 'value="Nhắc"' in text
    r, text = await sup.post("/campaigns/new", {"title": "Nhắc", "text": "x", "province": "Atlantis"})
    assert r.status == 400
    message = "Từ tháng sau, anh/chị nhớ đóng BHXH tự nguyện đúng hạn.\nĐóng tại bưu điện hoặc VssID <nhanh>."
    r, _ = await sup.post("/campaigns/new", {"title": "Nhắc Tây Ninh", "text": message, "province": "Tây Ninh", "kind": ""})
    assert r.status == 302
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert C.get_campaign(eng, cid)["segment"] == {"province": "Tây Ninh"}

    r, text = await sup.get(f"/campaigns/{cid}")
    assert r.status == 200
    assert re.search(r'id="recipient-count">3<', text)  # tg-1, zl-1, web-1 (tg-3 gave no consent for segments)
    assert "&lt;nhanh&gt;" in text and "<nhanh>" not in text  # the preview is text, not HTML
    assert re.search(r'id="preview">Từ tháng sau.*?VssID &lt;nhanh&gt;.</p>', text, re.S)
    assert 'id="preview-button">Dừng nhắc<' in text and 'id="zalo-note"' in text
    assert re.search(r'id="split-zalo"><th>Zalo</th><td class="num">1</td>', text)
    assert "không có mã trò chuyện" in text  # why the test is shown here
    assert all('name="csrf_token"' in f for f in FORM.findall(text))

    r, _ = await sup.post(f"/campaigns/{cid}/test")
    assert r.status == 302 and "done=test" in r.headers["Location"]
    (t,) = C.tests_of(eng, cid)
    assert t["key"] == f"test:{cid}:{accounts['sup']}:1" and t["channel"] == "console" and t["status"] == "delivered"
    _, text = await sup.get(r.headers["Location"].split("#")[0])
    assert f'id="test-{t["id"]}"' in text and "Bản thử lần 1" in text and f"Dài {len(message)} ký tự" in text

    r, text = await sup.post(f"/campaigns/{cid}/edit", {"title": "Nhắc Tây Ninh (Zalo)", "text": message,
                                                         "province": "Tây Ninh", "channel": "zalo"})
    assert r.status == 302 and C.count_recipients(eng, C.get_campaign(eng, cid)["segment"]) == 1

    r, text = await sup.post(f"/campaigns/{cid}/schedule", {"at": "2020-01-01T08:00"})
    assert r.status == 400 and "tương lai" in text and C.get_campaign(eng, cid)["status"] == "draft"
    r, text = await sup.post(f"/campaigns/{cid}/schedule", {"at": "không phải ngày"})
    assert r.status == 400
    at_vn = (dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) + dt.timedelta(days=2)).replace(hour=8, minute=30, second=0, microsecond=0)
    r, _ = await sup.post(f"/campaigns/{cid}/schedule", {"at": at_vn.strftime("%Y-%m-%dT%H:%M")})
    assert r.status == 302
    c = C.get_campaign(eng, cid)
    assert c["status"] == "scheduled" and c["scheduled_at"] == at_vn.astimezone(dt.timezone.utc).replace(tzinfo=None)
    _, text = await sup.get(f"/campaigns/{cid}")
    assert at_vn.strftime("%H:%M %d/%m/%Y") in text and 'id="edit-form"' not in text
    r, text = await sup.post(f"/campaigns/{cid}/edit", {"title": "x", "text": "y"})
    assert r.status == 409
    _, listing = await sup.get("/campaigns")
    row = re.search(rf'id="campaign-{cid}">(.*?)</tr>', listing, re.S).group(1)
    assert "Đã hẹn giờ gửi" in row and at_vn.strftime("%H:%M %d/%m/%Y") in row

    r, _ = await sup.post(f"/campaigns/{cid}/cancel")
    assert r.status == 302 and C.get_campaign(eng, cid)["status"] == "cancelled"
    _, text = await sup.get(f"/campaigns/{cid}")
    assert 'id="schedule-form"' not in text and 'id="cancel-form"' not in text and 'id="test-form"' in text

    # a campaign that went out cannot be cancelled from the console either
    sent = C.create_campaign(eng, accounts["sup"], "Đã gửi", "Nội dung", {})
    C.schedule(eng, sent, repo.now() + dt.timedelta(minutes=5))
    C.mark(eng, sent, "sending", recipients=5)
    C.mark(eng, sent, "sent")
    await sup.get(f"/campaigns/{sent}")
    r, text = await sup.post(f"/campaigns/{sent}/cancel")
    assert r.status == 409 and "không hủy được" in text and C.get_campaign(eng, sent)["status"] == "sent"
    assert re.search(r'id="sent-recipients">5 người', text)
    r, _ = await sup.get("/campaigns/4242")
    assert r.status == 404
    r, _ = await sup.post("/campaigns/4242/cancel")
    assert r.status == 404
    entries = [e for e in repo.audit_entries(eng) if (e["detail"] or {}).get("campaign") == cid]
    assert [e["action"] for e in entries] == ["campaign_created", "campaign_test_sent", "campaign_edited",
                                             "campaign_scheduled", "campaign_cancelled"]
    assert {e["staff_id"] for e in entries} == {accounts["sup"]}


async def test_a_law_change_draft_is_reviewed_and_scheduled_for_a_segment(site, eng, accounts, people):
    sup = await site("sup")
    await sup.get("/campaigns")
    law = next(c for c in C.list_campaigns(eng) if c["parameter"] == "rural_poverty_line")
    _, text = await sup.get(f"/campaigns/{law['id']}")
    assert 'id="law-change"' in text and "01/01/2027" in text and re.search(r'id="recipient-count">5<', text)
    caution = parameters.get("rural_poverty_line", dt.date(2027, 1, 1)).caution
    assert caution.split(";")[0] in text
    r, _ = await sup.post(f"/campaigns/{law['id']}/edit", {"title": law["title"], "text": law["text"], "group": "farmer"})
    assert r.status == 302
    _, text = await sup.get(f"/campaigns/{law['id']}")
    assert re.search(r'id="recipient-count">2<', text) and "Nhóm: Nông dân" in text
