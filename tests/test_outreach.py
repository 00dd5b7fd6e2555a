"""Reminders end to end on a controllable clock: subscribe, the scheduler sends once, a restart sends nothing
twice, downtime catches up once, opting out stops everything; web notices wait for the next visit."""
import asyncio
import datetime as dt

import pytest

from cases import db
from cases.schema import outreach_deliveries
from outreach import schedule, subscriptions
from outreach.scheduler import Settings, _parse_at, run_once

DEADLINES = {1: 1, 3: 3, 6: 4, 12: 7}


@pytest.fixture()
def eng(tmp_path):
    url = f"sqlite:///{tmp_path}/cases.db"
    db.upgrade(url)
    e = db.make_engine(url)
    yield e
    e.dispose()


class Outbox:
    """The channels, as the scheduler sees them: records every send and answers as told."""

    def __init__(self, answer=("delivered", None)):
        self.sent, self.answer = [], answer

    async def __call__(self, channel, sender_id, text, buttons):
        self.sent.append((channel, sender_id, text, buttons))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def at(text):  # Vietnam time → naive UTC, as the CLI reads --at
    return _parse_at(text)


def run(eng, when, outbox, **settings):
    return asyncio.run(run_once(eng, at(when), outbox, Settings(pause_seconds=0, **settings)))


def subscribe_monthly(eng, sender="tg-1", channel="telegram", start="2026-12-01", created="2026-12-02T10:00"):
    sub = subscriptions.subscribe(eng, sender, channel, "vsi_payment", "Tôi sẽ nhắn nhắc anh/chị...",
                                  details={"period_months": 1, "amount": 330000, "start": start})
    with eng.begin() as conn:  # the subscription was made on the clock's day
        from cases.schema import subscriptions as t
        conn.execute(t.update().where(t.c.id == sub).values(created_at=at(created)))
    return sub


def statuses(eng):
    with eng.connect() as conn:
        return [(r.key, r.status) for r in conn.execute(outreach_deliveries.select().order_by(outreach_deliveries.c.id))]


def test_payment_windows_follow_the_law():
    r = schedule.vsi_reminders(dt.date(2026, 3, 1), 6, DEADLINES, after=dt.date(2026, 12, 2), count=2)
    assert [(x.period_start, x.deadline, x.due) for x in r] == [
        (dt.date(2026, 9, 1), dt.date(2026, 12, 31), dt.date(2026, 12, 24)),
        (dt.date(2027, 3, 1), dt.date(2027, 6, 30), dt.date(2027, 6, 23))]
    r = schedule.vsi_reminders(dt.date(2027, 1, 1), 12, DEADLINES, after=dt.date(2027, 1, 1), days_before=10)
    assert (r[0].deadline, r[0].due) == (dt.date(2027, 7, 31), dt.date(2027, 7, 21))
    assert schedule.hi_reminder(dt.date(2027, 3, 31), after=dt.date(2027, 4, 1)) is None


def test_a_reminder_goes_once_on_its_day_with_the_amount_and_a_stop_button(eng):
    subscribe_monthly(eng)
    out = Outbox()
    assert run(eng, "2026-12-23T09:00", out).statuses == {}  # not yet due
    report = run(eng, "2026-12-24T09:00", out)
    assert report.statuses == {"delivered": 1}
    (channel, sender, text, buttons), = out.sent
    assert (channel, sender) == ("telegram", "tg-1")
    assert "31/12/2026" in text and "330.000 đồng" in text and buttons[0]["title"] == "Dừng nhắc"
    # The same pass again, or a restarted scheduler: nothing twice.
    run(eng, "2026-12-24T09:05", out)
    run(eng, "2026-12-25T09:00", out)
    assert len(out.sent) == 1 and statuses(eng) == [("reminder:1:2026-12-01", "delivered")]


def test_quiet_hours_send_nothing_until_morning(eng):
    subscribe_monthly(eng)
    out = Outbox()
    assert run(eng, "2026-12-24T22:30", out).quiet and out.sent == []
    assert run(eng, "2026-12-25T07:30", out).statuses == {"delivered": 1}


def test_downtime_over_several_due_dates_catches_up_once(eng):
    subscribe_monthly(eng, created="2026-12-02T10:00")
    out = Outbox()
    # Down from December to late February: the January and February reminders fell due, only the latest goes.
    run(eng, "2027-02-25T09:00", out)
    assert len(out.sent) == 1 and "28/02/2027" in out.sent[0][2]
    run(eng, "2027-02-26T09:00", out)
    assert len(out.sent) == 1


def test_an_unknown_outcome_is_recorded_not_repeated(eng):
    subscribe_monthly(eng)
    out = Outbox(answer=TimeoutError())
    run(eng, "2026-12-24T09:00", out)
    run(eng, "2026-12-24T10:00", out)
    assert len(out.sent) == 1 and statuses(eng) == [("reminder:1:2026-12-01", "pending")]


def test_opting_out_stops_everything_at_once(eng):
    subscribe_monthly(eng)
    assert subscriptions.unsubscribe(eng, "tg-1") == 1
    out = Outbox()
    run(eng, "2026-12-24T09:00", out)
    assert out.sent == [] and subscriptions.active(eng, "tg-1") == []


def test_zalo_outside_its_window_is_undeliverable_with_the_reason(eng):
    subscribe_monthly(eng, sender="z-1", channel="zalo")
    out = Outbox(answer=("undeliverable", "Zalo chỉ cho phép nhắn trong 48 giờ"))
    run(eng, "2026-12-24T09:00", out)
    run(eng, "2026-12-25T09:00", out)
    assert len(out.sent) == 1 and statuses(eng)[0][1] == "undeliverable"


def test_web_notices_wait_for_the_next_visit_and_are_shown_once(eng):
    subscribe_monthly(eng, sender="web-session-1", channel="socketio")
    out = Outbox()
    assert run(eng, "2026-12-24T09:00", out).statuses == {"waiting_visit": 1} and out.sent == []
    texts = subscriptions.pending_notices(eng, "web-session-1")
    assert len(texts) == 1 and "31/12/2026" in texts[0]
    assert subscriptions.pending_notices(eng, "web-session-1") == []
    assert statuses(eng)[0][1] == "delivered"


def test_the_weekly_cap_holds(eng):
    for sender in ("tg-2",):
        sub = subscribe_monthly(eng, sender=sender)
    out = Outbox()
    run(eng, "2026-12-24T09:00", out, weekly_cap=0)
    assert out.sent == [] and statuses(eng) == [(f"reminder:{sub}:2026-12-01", "skipped")]


def test_erasure_ends_subscriptions_and_forgets_the_person(eng):
    subscribe_monthly(eng, sender="tg-3")
    subscriptions.keep_segment(eng, "tg-3", "…", "telegram", province="Hà Nội", group="farmer")
    assert subscriptions.erase(eng, "tg-3") == 1
    with eng.connect() as conn:
        from cases.schema import subscriptions as t
        row = conn.execute(t.select()).mappings().one()
    assert (row["sender_id"], row["province"], row["group"], row["details"], row["active"]) == (None, None, None, None, False)


def test_a_campaign_reaches_exactly_its_segment_once_and_cannot_be_cancelled_after(eng):
    from outreach import campaigns

    for sender, channel, province in (("tg-a", "telegram", "Hà Nội"), ("z-b", "zalo", "Hà Nội"), ("tg-c", "telegram", "Huế"),
                                      ("web-d", "socketio", "Hà Nội")):
        subscribe_monthly(eng, sender=sender, channel=channel)
        subscriptions.keep_segment(eng, sender, "…", channel, province=province, group="farmer")
    subscribe_monthly(eng, sender="tg-e")  # Hà Nội never said with consent: not in a province segment
    cid = campaigns.create_campaign(eng, None, "Tin mới", "Từ 01/01/2027 chuẩn nghèo nông thôn thay đổi.", {"province": "Hà Nội"})
    campaigns.schedule(eng, cid, at("2026-12-10T09:00"), now_=at("2026-12-03T09:00"))
    out = Outbox(answer=("delivered", None))
    run(eng, "2026-12-10T09:30", out)
    assert sorted(s for _, s, _, _ in out.sent) == ["tg-a", "z-b"]  # the web visitor's waits for the next visit
    assert subscriptions.pending_notices(eng, "web-d") == ["Từ 01/01/2027 chuẩn nghèo nông thôn thay đổi."]
    run(eng, "2026-12-10T10:00", out)
    assert len(out.sent) == 2
    with pytest.raises(campaigns.CampaignStateError):
        campaigns.cancel(eng, cid)

