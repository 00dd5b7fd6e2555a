"""The case repository (cases/repository.py) on real databases, migrated by Alembic: SQLite (a file) and the
machine's PostgreSQL (a throw-away database per test, dropped after). No mocks.
"""
import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from cases import db, repository as repo
from cases.schema import audit_log, case_messages, case_ratings, cases, referral_counts
from tests.databases import throwaway_postgres



@pytest.fixture(params=["sqlite", "postgresql"])
def eng(request, tmp_path):
    if request.param == "sqlite":
        yield from _migrated(f"sqlite:///{tmp_path}/cases.db")
        return
    with throwaway_postgres() as url:
        yield from _migrated(url)


def _migrated(url):
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def actions_of(eng, case_id=None):
    return [e["action"] for e in repo.audit_entries(eng, case_id=case_id)]


# --- one open case per person -----------------------------------------------------------------------------


def test_a_second_request_adds_to_the_open_case_and_a_different_matter_opens_another(eng):
    first = repo.open_or_extend_case(
        eng, "tg-42", "telegram", topic="wage_arrears", province="Tây Ninh", description="công ty nợ lương",
        summary="nợ lương 3 tháng", facts={"months_unpaid": 3},
    )
    assert first.created
    case = repo.get_case(eng, first.case_id)
    assert (case["sender_id"], case["channel"], case["status"]) == ("tg-42", "telegram", "waiting")
    assert case["sender_hash"] == repo.sender_hash("tg-42") and case["facts"] == {"months_unpaid": 3}

    second = repo.open_or_extend_case(eng, "tg-42", "telegram", contact="zalo 0912345678", summary="vẫn chưa trả", facts={"employer": "công ty A"})
    assert second == (first.case_id, False)
    case = repo.get_case(eng, first.case_id)
    assert case["contact"] == "zalo 0912345678" and case["topic"] == "wage_arrears"  # kept: not given again
    assert "nợ lương 3 tháng" in case["summary"] and "vẫn chưa trả" in case["summary"]
    assert case["facts"] == {"months_unpaid": 3, "employer": "công ty A"}

    other = repo.open_or_extend_case(eng, "tg-42", "telegram", topic="maternity", new_matter=True)
    assert other.created and other.case_id != first.case_id
    assert repo.find_open_case(eng, "tg-42")["id"] == other.case_id  # the newest open one
    assert repo.open_or_extend_case(eng, "someone-else", "rest").case_id not in (first.case_id, other.case_id)
    assert len(repo.list_cases(eng)) == 3
    assert [c["id"] for c in repo.list_cases(eng, province="Tây Ninh")] == [first.case_id]
    assert actions_of(eng, first.case_id) == ["case_opened", "case_extended"]


def test_after_resolution_a_new_request_opens_a_new_case(eng):
    first = repo.open_or_extend_case(eng, "u1", "rest").case_id
    repo.set_status(eng, first, "resolved", staff_id=None, actor="staff")
    assert repo.find_open_case(eng, "u1") is None
    assert repo.open_or_extend_case(eng, "u1", "rest").created
    assert [c["id"] for c in repo.list_cases(eng, statuses=["resolved"])] == [first]


# --- status -----------------------------------------------------------------------------------------------


def test_status_transitions_follow_the_rules_and_are_audited(eng):
    officer = repo.create_staff(eng, "lan", "mật khẩu dài", "officer", province="Tây Ninh")
    case_id = repo.open_or_extend_case(eng, "u1", "zalo").case_id
    assert repo.set_status(eng, case_id, "with_staff", staff_id=officer)["status"] == "with_staff"
    assert repo.set_status(eng, case_id, "bot", staff_id=officer)["status"] == "bot"  # handed back, still open
    # The user asks for a person again: the same case, waiting for staff again.
    assert repo.open_or_extend_case(eng, "u1", "zalo") == (case_id, False)
    assert repo.get_case(eng, case_id)["status"] == "waiting"
    repo.set_status(eng, case_id, "escalated", staff_id=officer)
    resolved = repo.set_status(eng, case_id, "resolved", staff_id=officer)
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None

    with pytest.raises(repo.InvalidTransition):
        repo.set_status(eng, case_id, "with_staff", staff_id=officer)
    with pytest.raises(ValueError):
        repo.set_status(eng, case_id, "open")
    with pytest.raises(LookupError):
        repo.set_status(eng, 9999, "resolved")

    changes = [(e["detail"]["from"], e["detail"]["to"], e["staff_id"]) for e in repo.audit_entries(eng, case_id=case_id, action="status_changed")]
    assert changes == [("waiting", "with_staff", officer), ("with_staff", "bot", officer), ("waiting", "escalated", officer), ("escalated", "resolved", officer)]


def test_the_database_refuses_an_unknown_status_and_a_rating_out_of_range(eng):
    case_id = repo.open_or_extend_case(eng, "u1", "rest").case_id
    with pytest.raises(IntegrityError):
        with eng.begin() as conn:
            conn.execute(cases.update().where(cases.c.id == case_id).values(status="open"))
    with pytest.raises(IntegrityError):
        with eng.begin() as conn:
            conn.execute(case_ratings.insert().values(case_id=case_id, score=6, created_at=repo.now()))


# --- messages, notes, assignments, referral records, ratings ----------------------------------------------


def test_messages_keep_direction_and_delivery_status(eng):
    officer = repo.create_staff(eng, "lan", "pw-1", "officer", province="Tây Ninh")
    case_id = repo.open_or_extend_case(eng, "zalo-9", "zalo").case_id
    m_user = repo.add_message(eng, case_id, "user", "công ty chưa trả lương")
    m_staff = repo.add_message(eng, case_id, "staff", "Chào anh, tôi là cán bộ công đoàn", staff_id=officer)
    m_late = repo.add_message(eng, case_id, "staff", "Anh còn đó không?", staff_id=officer)
    repo.set_delivery(eng, m_staff, "delivered")
    repo.set_delivery(eng, m_late, "undeliverable", "Zalo: outside the 48-hour window")
    got = {m["id"]: m for m in repo.messages(eng, case_id)}
    assert [got[i]["direction"] for i in (m_user, m_staff, m_late)] == ["user", "staff", "staff"]
    assert got[m_user]["delivery_status"] is None
    assert got[m_staff]["delivery_status"] == "delivered" and got[m_staff]["staff_id"] == officer
    assert (got[m_late]["delivery_status"], got[m_late]["delivery_reason"]) == ("undeliverable", "Zalo: outside the 48-hour window")
    bot = repo.add_message(eng, case_id, "bot", "Cảm ơn anh đã chờ")
    assert repo.messages(eng, case_id)[-1]["id"] == bot and repo.messages(eng, case_id)[-1]["delivery_status"] == "sent"
    with pytest.raises(ValueError):
        repo.add_message(eng, case_id, "system", "?")
    with pytest.raises(ValueError):
        repo.set_delivery(eng, m_staff, "read")
    with pytest.raises(LookupError):
        repo.set_delivery(eng, 99999, "sent")
    with pytest.raises(IntegrityError):  # foreign keys are enforced, on SQLite too
        repo.add_message(eng, 99999, "user", "no such case")


def test_notes_assignments_referrals_and_ratings(eng):
    supervisor = repo.create_staff(eng, "hoa", "pw-s", "supervisor")
    officer = repo.create_staff(eng, "lan", "pw-o", "officer", province="Tây Ninh")
    case_id = repo.open_or_extend_case(eng, "u1", "telegram", province="Tây Ninh").case_id

    repo.add_note(eng, case_id, officer, "Đã gọi điện, hẹn thứ Hai")
    assert [n["text"] for n in repo.notes(eng, case_id)] == ["Đã gọi điện, hẹn thứ Hai"]

    repo.assign(eng, case_id, officer, by=supervisor)
    repo.assign(eng, case_id, supervisor, by=supervisor)
    assert [a["staff_id"] for a in repo.assignments(eng, case_id)] == [officer, supervisor]
    assert repo.get_case(eng, case_id)["assigned_staff_id"] == supervisor

    ref = repo.add_referral(eng, case_id, "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Tây Ninh", kind="legal_aid",
                            province="Tây Ninh", topic="wage_arrears", sent_text="Tóm tắt hồ sơ", staff_id=officer)
    assert [r["id"] for r in repo.referrals(eng, case_id)] == [ref]

    repo.rate(eng, case_id, 4, "cảm ơn")
    repo.rate(eng, case_id, 5)
    assert repo.rating(eng, case_id)["score"] == 5
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError):
            repo.rate(eng, case_id, bad)
    assert actions_of(eng, case_id) == ["case_opened", "note_added", "assigned", "assigned", "referral_recorded", "rated", "rated"]


# --- erasure ----------------------------------------------------------------------------------------------


def test_erasure_removes_personal_fields_and_numbers_and_keeps_the_referral(eng):
    officer = repo.create_staff(eng, "lan", "pw", "officer", province="Tây Ninh")
    case_id = repo.open_or_extend_case(
        eng, "zalo-123", "zalo", topic="wage_arrears", province="Tây Ninh", contact="chị Mai, 0912 345 678",
        description="Tôi là chị Mai, 0912 345 678, CCCD 079123456789, công ty nợ lương",
        summary="số BHXH của tôi 7912345678", facts={"birth_year": 1990},
    ).case_id
    repo.record_consent(eng, "zalo-123", "share_with_union_staff", "zalo", "Anh/chị đồng ý chia sẻ…?", case_id=case_id)
    repo.add_message(eng, case_id, "user", "gọi tôi số +84 912 345 678 nhé")
    repo.add_message(eng, case_id, "staff", "Tôi đã ghi nhận, lương 5.000.000 đồng", staff_id=officer)
    repo.add_note(eng, case_id, officer, "chị Mai, 0912 345 678, làm ca đêm")
    repo.add_referral(eng, case_id, "Liên đoàn Lao động tỉnh Tây Ninh", kind="labour_federation", province="Tây Ninh",
                      topic="wage_arrears", sent_text="Người lao động: chị Mai, 0912 345 678; BHXH 7912345678", staff_id=officer)
    with eng.begin() as conn:
        conn.execute(referral_counts.insert().values(day=dt.date(2026, 11, 25), problem="dispute", province="Tây Ninh", channel="zalo", count=1))

    repo.erase_case(eng, case_id, staff_id=officer)

    case = repo.get_case(eng, case_id)
    assert case["sender_id"] is None and case["sender_hash"] is None and case["contact"] is None and case["facts"] is None
    assert case["erased_at"] is not None
    assert "0912" not in case["description"] and "079123456789" not in case["description"] and "789" in case["description"]
    assert "7912345678" not in case["summary"]
    assert "chị Mai" not in case["description"]  # the contact as given is gone too
    assert (case["topic"], case["province"], case["channel"]) == ("wage_arrears", "Tây Ninh", "zalo")  # not personal
    texts = [m["text"] for m in repo.messages(eng, case_id)]
    assert texts == ["gọi tôi số +84 *** *** 678 nhé", "Tôi đã ghi nhận, lương 5.000.000 đồng"]
    assert "0912" not in repo.notes(eng, case_id)[0]["text"]
    [referral] = repo.referrals(eng, case_id)
    assert referral["organisation"] == "Liên đoàn Lao động tỉnh Tây Ninh" and referral["province"] == "Tây Ninh"
    assert "0912" not in referral["sent_text"] and "7912345678" not in referral["sent_text"] and "chị Mai" not in referral["sent_text"]
    assert repo.find_open_case(eng, "zalo-123") is None  # nothing links the person to the case any more
    with eng.connect() as conn:
        assert conn.execute(select(referral_counts.c.count)).scalar_one() == 1
    assert [c["purpose"] for c in repo.consents_of(eng, "zalo-123")] == ["share_with_union_staff"]  # proof kept
    assert "case_erased" in actions_of(eng, case_id)
    with pytest.raises(LookupError):
        repo.erase_case(eng, 99999)


# --- masking ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, masked",
    [
        ("gọi 0912345678 nhé", "gọi *******678 nhé"),
        ("+84 912 345 678", "+84 *** *** 678"),
        ("+84912345678", "+84******678"),
        ("sđt 0912.345.678 hoặc 0912-345-678", "sđt ****.***.678 hoặc ****-***-678"),
        ("máy bàn 0243 123 4567", "máy bàn **** *** *567"),
        ("CCCD 079123456789", "CCCD *********789"),
        ("CCCD 079 123 456 789", "CCCD *** *** *** 789"),
        ("mã số BHXH 7912345678.", "mã số BHXH *******678."),
        ("0912345678 0987654321", "*******678 *******321"),
        ("năm 2015, số 0912345678", "năm 2015, số *******678"),
    ],
)
def test_mask_hides_phone_cccd_and_si_numbers(text, masked):
    assert repo.mask(text) == masked


@pytest.mark.parametrize(
    "text",
    ["lương 5.000.000 đồng", "3.000.000.000 đồng", "sinh 1/1/1980, đóng 12 năm", "đóng từ 2015 đến 2020", "mã hồ sơ 17", "", None],
)
def test_mask_leaves_amounts_dates_and_short_numbers(text):
    assert repo.mask(text) == text


def test_mask_hides_numbers_written_in_other_digits_too():
    # Full-width digits (a phone keyboard's wide mode) are digits to the masking expression as well.
    assert repo.mask("sdt ０９１２３４５６７８ nhé") == "sdt *******６７８ nhé"
    assert repo.mask("số ０９１２ ok") == "số ０９１２ ok"


def test_the_short_way_past_texts_with_few_digits_sees_every_digit_the_expression_sees():
    import re

    everything = "".join(map(chr, range(0x80, 0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    for digit in re.findall(r"\d", everything):
        assert not repo._too_few_digits(digit), hex(ord(digit))
    assert repo._too_few_digits("Nhà nước hỗ trợ 30% – “hộ nghèo” 😀")
    assert not repo._too_few_digits("gọi 0912345678")


# --- staff accounts, sessions, login attempts -------------------------------------------------------------


def test_argon2_hashes_verify_and_a_wrong_password_fails():
    h = repo.hash_password("đúng-mật-khẩu")
    assert h.startswith("$argon2id$") and "đúng" not in h
    assert repo.verify_password(h, "đúng-mật-khẩu")
    assert not repo.verify_password(h, "sai-mật-khẩu")
    assert not repo.verify_password("not a hash", "đúng-mật-khẩu")
    assert repo.hash_password("đúng-mật-khẩu") != h  # salted


def test_staff_accounts_authenticate_deactivate_and_reset(eng):
    sid = repo.create_staff(eng, "Lan", "pw-lan-1", "officer", province="Tây Ninh", display_name="Nguyễn Thị Lan")
    staff = repo.get_staff(eng, sid)
    assert (staff["username"], staff["role"], staff["province"], staff["active"]) == ("lan", "officer", "Tây Ninh", True)
    assert staff["password_hash"].startswith("$argon2id$") and staff["created_at"] and staff["updated_at"]
    assert repo.authenticate(eng, "lan", "pw-lan-1")["id"] == sid
    assert repo.authenticate(eng, "lan", "wrong") is None
    assert repo.authenticate(eng, "nobody", "pw-lan-1") is None

    token = repo.create_session(eng, sid)
    assert repo.session_staff(eng, token)["id"] == sid
    repo.set_password(eng, sid, "pw-lan-2")  # a reset ends the sessions
    assert repo.session_staff(eng, token) is None
    assert repo.authenticate(eng, "lan", "pw-lan-1") is None and repo.authenticate(eng, "lan", "pw-lan-2")

    token = repo.create_session(eng, sid)
    repo.set_active(eng, sid, False)
    assert repo.authenticate(eng, "lan", "pw-lan-2") is None and repo.session_staff(eng, token) is None
    repo.set_active(eng, sid, True)
    assert repo.authenticate(eng, "lan", "pw-lan-2")

    with pytest.raises(ValueError):
        repo.create_staff(eng, "minh", "pw", "officer")  # an officer needs a province
    with pytest.raises(ValueError):
        repo.create_staff(eng, "minh", "pw", "admin")
    with pytest.raises(IntegrityError):
        repo.create_staff(eng, "LAN", "pw", "supervisor")  # usernames are unique, case aside
    assert [a["detail"]["account"] for a in repo.audit_entries(eng) if a["action"] in ("staff_created", "password_reset", "staff_deactivated", "staff_activated")] == [sid] * 4
    assert [s["username"] for s in repo.list_staff(eng, province="Tây Ninh", active_only=True)] == ["lan"]


def test_sessions_store_only_a_hash_and_expire(eng):
    sid = repo.create_staff(eng, "hoa", "pw", "supervisor")
    token = repo.create_session(eng, sid)
    with eng.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM staff_sessions")).scalar_one()
    assert stored != token and stored == repo.token_hash(token)
    expired = repo.create_session(eng, sid, ttl=dt.timedelta(seconds=-1))
    assert repo.session_staff(eng, expired) is None
    assert repo.session_staff(eng, "made-up") is None and repo.session_staff(eng, "") is None
    repo.end_session(eng, token)
    assert repo.session_staff(eng, token) is None


def test_failed_logins_are_counted_for_throttling(eng):
    for _ in range(3):
        repo.record_login_attempt(eng, "lan", "127.0.0.7", False)
    repo.record_login_attempt(eng, "lan", "127.0.0.7", True)
    repo.record_login_attempt(eng, "hoa", "127.0.0.8", False)
    assert repo.recent_failures(eng, username="LAN") == 3
    assert repo.recent_failures(eng, remote_addr="127.0.0.8") == 1
    assert repo.recent_failures(eng, username="lan", window=dt.timedelta(seconds=-1)) == 0
    with pytest.raises(ValueError):
        repo.recent_failures(eng)


# --- consents and the audit log ---------------------------------------------------------------------------


def test_consents_record_wording_channel_and_withdrawal(eng):
    wording = "Anh/chị có đồng ý để cán bộ công đoàn xem cuộc trò chuyện này không?"
    cid = repo.record_consent(eng, "tg-1", "share_with_union_staff", "telegram", wording)
    repo.record_consent(eng, "tg-2", "share_with_union_staff", "zalo", wording, granted=False)
    assert repo.has_consent(eng, "tg-1", "share_with_union_staff")
    assert not repo.has_consent(eng, "tg-2", "share_with_union_staff")  # declined
    [c] = repo.consents_of(eng, "tg-1")
    assert (c["id"], c["channel"], c["wording"], c["granted"], c["withdrawn_at"]) == (cid, "telegram", wording, True, None)
    assert c["created_at"] is not None and c["sender_hash"] == repo.sender_hash("tg-1")
    assert repo.withdraw_consent(eng, "tg-1", "share_with_union_staff") == 1
    assert not repo.has_consent(eng, "tg-1", "share_with_union_staff")
    assert repo.consents_of(eng, "tg-1")[0]["withdrawn_at"] is not None
    assert repo.withdraw_consent(eng, "tg-1", "share_with_union_staff") == 0
    assert [e["action"] for e in repo.audit_entries(eng)] == ["consent_granted", "consent_declined", "consent_withdrawn"]


def test_audit_entries_are_written_in_the_callers_transaction(eng):
    case_id = repo.open_or_extend_case(eng, "u1", "rest").case_id
    repo.audit(eng, "case_viewed_unmasked", case_id=case_id, staff_id=None, detail={"field": "contact"})
    with pytest.raises(RuntimeError):
        with eng.begin() as conn:
            repo.add_note(conn, case_id, None, "rolled back")
            raise RuntimeError("the request failed")
    assert repo.notes(eng, case_id) == []
    entries = repo.audit_entries(eng, case_id=case_id)
    assert [e["action"] for e in entries] == ["case_opened", "case_viewed_unmasked"]  # the note's entry rolled back too
    assert entries[1]["actor"] == "system" and entries[1]["detail"] == {"field": "contact"}
    assert entries[0]["actor"] == "bot" and entries[0]["created_at"] is not None
    with eng.connect() as conn:
        assert conn.execute(select(audit_log.c.id)).all()
        assert not conn.execute(select(case_messages.c.id)).all()


def test_a_number_run_shorter_than_any_personal_number_is_never_masked():
    # mask() passes runs of fewer than ten characters by without looking at them: _mask_run must agree.
    import random

    rng = random.Random(7)
    for length in range(1, repo._SHORTEST):
        for _ in range(3000):
            text = "".join(rng.choice("0123456789 .-+") for _ in range(length))
            for match in repo._NUMBER_RUN.finditer(text):
                assert repo._mask_run(match.group(0)) == match.group(0)
