"""Action tests in the style of Rasa's demo bots: Tracker.from_dict + CollectingDispatcher.

Entities are produced by our own extractor from the message text, as in a running bot.
"""
import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import store
from actions.actions import LIMITER, ActionRespond
from bot.parsing import extract

TODAY = "2026-11-25"


@pytest.fixture(autouse=True)
def pinned_day_and_db(monkeypatch, tmp_path):
    monkeypatch.setenv("ANSINH_TODAY", TODAY)
    monkeypatch.setenv("ANSINH_DB_URL", f"sqlite:///{tmp_path}/cases.db")
    LIMITER.reset()


def tracker(text, intent, slots=None, sender="u1", events=None):
    entities = [
        {"entity": f.entity, "start": f.start, "end": f.end, "value": f.value} for f in extract(text)
    ]
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"state": slots} if slots else {},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities},
            "events": events or [{"event": "user", "text": text, "input_channel": "rest"}],
            "latest_input_channel": "rest",
        }
    )


def run(action, t):
    d = CollectingDispatcher()
    events = action.run(d, t, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m.get("text") or "" for m in d.messages], slots.get("state", {}), d.messages


def test_contribution_question_quotes_rule_range_amounts_and_basis():
    texts, slots, messages = run(ActionRespond(), tracker("đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền", "vsi_contribution"))
    text = texts[0]
    for expected in ("22%", "1.500.000 đồng", "50.600.000 đồng", "330.000 đồng", "264.000 đồng", "Căn cứ: Luật Bảo hiểm xã hội"):
        assert expected in text
    basis_line = text.split("\n")[-1]
    assert basis_line.startswith("📘") and len(basis_line) <= 120
    assert {"title": "Căn cứ pháp lý", "payload": "/legal_basis"} in messages[0]["buttons"]
    # The full list, on request, has the article of the income range with its own law.
    texts, _, _ = run(ActionRespond(), tracker("/legal_basis", "legal_basis", slots=slots))
    assert "Luật Bảo hiểm xã hội 41/2024/QH15: " in texts[0] and "Điều 31 khoản 2" in texts[0]


def test_one_message_with_all_inputs_answers_at_once():
    texts, slots, _ = run(
        ActionRespond(), tracker("thu nhập 3 triệu, hộ cận nghèo, đóng hàng tháng thì bao nhiêu", "vsi_contribution")
    )
    assert "660.000 đồng" in texts[0] and "132.000 đồng" in texts[0] and "528.000 đồng" in texts[0]
    assert slots["calc"] is None


def test_missing_inputs_are_asked_one_by_one():
    respond = ActionRespond()
    texts, slots, _ = run(respond, tracker("tính giúp tôi tiền đóng bhxh tự nguyện, thu nhập 3tr", "vsi_contribution"))
    assert slots["asked"] == "group" and "nhóm" in texts[0]
    texts, slots, _ = run(respond, tracker("ho can ngheo", "inform", slots=slots))
    assert slots["asked"] == "period"
    texts, slots, _ = run(respond, tracker("6 tháng", "inform", slots=slots))
    assert "528.000 đồng" in texts[0] and "3.168.000 đồng" in texts[0]
    assert "4 tháng đầu" in texts[0]


def test_bare_number_answers_the_period_question_only_with_a_payment_method():
    respond = ActionRespond()
    _, slots, _ = run(respond, tracker("tính tiền đóng bhxh tự nguyện, thu nhập 3tr, hộ cận nghèo", "vsi_contribution"))
    assert slots["asked"] == "period"
    texts, slots5, _ = run(respond, tracker("5", "inform", slots=slots))
    assert slots5["asked"] == "period"
    texts, _, _ = run(respond, tracker("12", "inform", slots=slots))
    assert "6.336.000 đồng" in texts[0] and "7 tháng đầu" in texts[0]


def test_out_of_range_income_is_explained_and_asked_again():
    texts, slots, _ = run(ActionRespond(), tracker("đóng bhxh tự nguyện mức 1 triệu, hộ nghèo, hằng tháng", "vsi_contribution"))
    assert "1.500.000 đồng" in texts[0] and slots["asked"] == "income"


def test_follow_up_uses_last_topic():
    _, slots, _ = run(ActionRespond(), tracker("nhà nước hỗ trợ bhxh tự nguyện bao nhiêu", "vsi_subsidy"))
    texts, _, _ = run(ActionRespond(), tracker("còn hộ cận nghèo thì sao?", "inform", slots=slots))
    assert "40%" in texts[0] and "132.000 đồng" in texts[0]


def test_household_health_insurance_three_people():
    texts, _, _ = run(ActionRespond(), tracker("nhà tôi 3 người mua bhyt hộ gia đình hết bao nhiêu", "hi_household"))
    assert "261.855 đồng" in texts[0]


def test_unemployment_worked_example():
    texts, _, _ = run(ActionRespond(), tracker("lương 10 triệu đóng bhtn 30 tháng thì được bao nhiêu", "ui_benefit_amount"))
    assert "6.000.000 đồng" in texts[0] and "3 tháng" in texts[0]


def test_pension_estimate_asks_then_answers():
    respond = ActionRespond()
    texts, slots, _ = run(respond, tracker("ước tính lương hưu cho tôi", "vsi_pension"))
    assert slots["asked"] == "gender"
    texts, slots, _ = run(respond, tracker("nữ", "inform", slots=slots))
    texts, slots, _ = run(respond, tracker("sinh 1/1980", "inform", slots=slots))
    texts, slots, _ = run(respond, tracker("5 năm", "inform", slots=slots))
    assert "60 tuổi" in texts[0] and "ước tính" in texts[0].lower()


def test_referral_from_old_province_name_finds_merged_province_and_records_count():
    texts, slots, _ = run(ActionRespond(), tracker("Tôi ở Long An, công ty nợ lương 3 tháng thì hỏi ai?", "wage_arrears"))
    joined = "\n".join(texts)
    assert "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Tây Ninh" in joined
    assert "Liên đoàn Lao động tỉnh Tây Ninh" in joined
    assert "Long An nay thuộc tỉnh Tây Ninh" in joined
    assert slots["province"] == "Tây Ninh"
    assert store.referral_totals() == [("dispute", "Tây Ninh", 1)]


def test_referral_asks_for_province_then_answers():
    respond = ActionRespond()
    texts, slots, _ = run(respond, tracker("tìm nơi hỗ trợ gần tôi", "referral_request"))
    assert slots["referral"] == "dispute"
    texts, slots, _ = run(respond, tracker("Bình Dương", "inform", slots=slots))
    assert "Hồ Chí Minh" in texts[0]


def test_unknown_province_is_explained():
    texts, slots, _ = run(ActionRespond(), tracker("tỉnh Xyz", "inform", slots={"referral": "dispute"}))
    assert "chưa nhận ra" in texts[0] and slots["referral"] == "dispute"


def test_fallback_offers_topics_as_buttons():
    _, _, messages = run(ActionRespond(), tracker("asdkjh qwe", "nlu_fallback"))
    assert messages[0]["buttons"] and "chưa hiểu" in messages[0]["text"]


def test_very_long_message_is_refused_politely():
    texts, _, _ = run(ActionRespond(), tracker("a " * 800, "nlu_fallback"))
    assert "dài quá" in texts[0]


def _step(text, intent, slots, sender, paused=False):
    t = tracker(text, intent, slots=slots, sender=sender)
    if paused:
        t._paused = True  # what rasa_sdk's Tracker.is_paused() reads
    d = CollectingDispatcher()
    events = ActionRespond().run(d, t, {})
    state = next((e["value"] for e in events if e.get("event") == "slot"), slots)
    return [m.get("text") or "" for m in d.messages], state, [e["event"] for e in events], d.messages


def test_handoff_asks_consent_then_opens_one_case_and_pauses():
    texts, state, events, messages = _step("cho tôi gặp người thật", "human_handoff", None, "zalo-123")
    assert "đồng ý" in texts[0] and [b["title"] for b in messages[0]["buttons"]] == ["Đồng ý", "Không đồng ý"]
    assert "pause" not in events and store.open_cases() == []
    texts, state, events, _ = _step("/affirm", "affirm", state, "zalo-123")
    assert "tóm tắt" in texts[0]
    texts, state, _, _ = _step("chủ xưởng nợ lương tôi hai tháng", "wage_arrears", state, "zalo-123")
    assert "tỉnh" in texts[0]
    texts, state, _, _ = _step("Tây Ninh", "inform", state, "zalo-123")
    assert "số điện thoại" in texts[0]
    texts, state, events, _ = _step("số em 0912 345 678", "inform", state, "zalo-123")
    assert "mã hồ sơ" in texts[0] and "pause" in events
    cases = store.open_cases()
    assert len(cases) == 1
    case = cases[0]
    assert case["sender_hash"] != "zalo-123" and case["province"] == "Tây Ninh" and case["contact"] == "0912345678"
    assert case["description"] == "chủ xưởng nợ lương tôi hai tháng" and case["status"] == "waiting"
    # Paused: a message goes onto the case and nothing is said; the status is still answered.
    texts, _, events, _ = _step("alo", "greet", state, "zalo-123", paused=True)
    assert texts == [] and events == []
    from cases import repository as repo
    assert [m["text"] for m in repo.messages(store.engine(), case["id"])][-1] == "alo"
    texts, _, events, _ = _step("hồ sơ của tôi đến đâu rồi", "case_status", state, "zalo-123", paused=True)
    assert f"Hồ sơ số {case['id']}" in texts[0] and "đang chờ cán bộ nhận" in texts[0]
    # A new request while one is open adds to it.
    texts, _, _, _ = _step("cho tôi gặp cán bộ", "human_handoff", state, "zalo-123", paused=True)
    assert texts == []  # paused: silent, onto the case
    texts, state, events, _ = _step("rút yêu cầu", "case_withdraw", state, "zalo-123", paused=True)
    assert "muốn rút yêu cầu" in texts[0] and "resume" not in events
    texts, _, events, _ = _step("/affirm", "affirm", state, "zalo-123", paused=True)
    assert "đã rút yêu cầu" in texts[0] and "resume" in events
    assert store.open_cases() == []


def test_an_intent_triggered_from_outside_a_paused_conversation_gets_silence():
    t = tracker("EXTERNAL: greet", "greet", sender="p1")
    t._paused = True
    d = CollectingDispatcher()
    assert ActionRespond().run(d, t, {}) == [] and d.messages == []


def test_a_case_with_staff_keeps_the_bot_silent_after_a_new_session():
    from cases import repository as repo

    opened = repo.open_or_extend_case(store.engine(), "tg-9", "telegram", province="Huế")
    repo.set_status(store.engine(), opened.case_id, "with_staff")
    texts, _, events, _ = _step("lương tối thiểu bao nhiêu", "minimum_wage", None, "tg-9")  # not paused: a new session
    assert texts == [] and events == ["pause"]


def test_rules_change_on_the_day_the_law_changes(monkeypatch):
    monkeypatch.setenv("ANSINH_TODAY", "2026-06-30")
    texts, _, _ = run(ActionRespond(), tracker("đóng bhxh tự nguyện bao nhiêu", "vsi_contribution"))
    assert "46.800.000 đồng" in texts[0]
    monkeypatch.setenv("ANSINH_TODAY", "2026-07-01")
    texts, _, _ = run(ActionRespond(), tracker("đóng bhxh tự nguyện bao nhiêu", "vsi_contribution"))
    assert "50.600.000 đồng" in texts[0]


def test_bare_details_start_the_matching_calculator():
    texts, _, _ = run(ActionRespond(), tracker("thu nhập 3 triệu, hộ cận nghèo, đóng hàng tháng", "inform"))
    assert "528.000 đồng" in texts[0]
    texts, _, _ = run(ActionRespond(), tracker("nhà 4 người", "inform"))
    assert "318.780 đồng" in texts[0]


def test_too_many_messages_get_a_polite_pause_message():
    respond = ActionRespond()
    from knowledge.compose import say

    RATE_LIMIT_REPLY = say("rate_limited", dt.date.fromisoformat(TODAY))

    for _ in range(LIMITER.rate.messages):  # ANSINH_RATE_LIMIT, 15 in 30 s by default
        run(respond, tracker("lương tối thiểu vùng bao nhiêu", "minimum_wage", sender="fast"))
    texts, slots, _ = run(respond, tracker("lương tối thiểu vùng bao nhiêu", "minimum_wage", sender="fast"))
    assert texts == [RATE_LIMIT_REPLY] and "gửi nhanh quá" in texts[0] and slots == {}
    texts, _, _ = run(respond, tracker("lương tối thiểu vùng bao nhiêu", "minimum_wage", sender="other"))
    assert "Vùng I" in texts[0]
