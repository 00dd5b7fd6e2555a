"""New-case notifications to the province's staff group on Telegram (issue 13, item 4), against the Bot API
stand-in of tests/test_telegram.py: a new case sends exactly one message to the province's chat, with the case
link and nothing personal (no digit of the phone number the user gave); a request added to the open case sends
none; without a chat nothing is sent and nothing fails; a slow or broken Bot API never holds up the reply.
"""
import asyncio
import datetime as dt
import json
import logging
import re
import time

import pytest
from aiohttp import web

from actions import store
from actions.actions import LIMITER, ActionRespond
from cases import repository as repo
from channels import notify
from tests.servers import assistant
from tests.test_actions import run, tracker
from tests.test_telegram import SECRET, TOKEN, BotApiStandIn, post, text_update

PHONE = "0912345678"
CHAT = "-1001234567890"
SUPERVISORS = "-1009999"
BASE = "https://canbo.example.vn"
STAFF_TOKEN = "654321:STAFF-token"


def assert_nothing_personal(text):
    assert PHONE not in text and PHONE[-4:] not in text and PHONE[1:] not in text
    assert not re.search(r"\d{6,}", text)  # no run of digits that could be anyone's number
    assert "nợ lương 3 tháng" not in text and "số tôi" not in text  # no user text


class StaffBotApi(BotApiStandIn):
    """The Bot API stand-in, also recording which bot token each call came with."""

    def __init__(self):
        super().__init__()
        self.tokens = []

    async def _handle(self, request):
        self.tokens.append(request.match_info["token"])
        return await super()._handle(request)


@pytest.fixture(scope="module")
def bot_api():
    return StaffBotApi().start()


@pytest.fixture(autouse=True)
def configured(monkeypatch, tmp_path, bot_api):
    monkeypatch.setenv("ANSINH_TODAY", "2026-11-25")
    monkeypatch.setenv("ANSINH_DB_URL", f"sqlite:///{tmp_path}/cases.db")
    monkeypatch.setenv("ANSINH_CONSOLE_BASE_URL", BASE)
    monkeypatch.setenv("ANSINH_CONSOLE_TELEGRAM_CHATS", json.dumps({"Tây Ninh": CHAT}))
    monkeypatch.setenv("ANSINH_TELEGRAM_STAFF_BOT_TOKEN", STAFF_TOKEN)
    monkeypatch.setenv("ANSINH_TELEGRAM_API_BASE", f"{bot_api.url}/bot")
    monkeypatch.delenv("ANSINH_TELEGRAM_SUPERVISORS_CHAT", raising=False)
    LIMITER.reset()
    bot_api.calls.clear()
    bot_api.tokens.clear()
    yield
    assert notify.wait_idle(30), "a notification was still in flight"


def ask_for_staff(sender, province_text="tôi ở Tây Ninh"):
    """A wage question naming the province, a request for staff with a phone number, consent and the one-line
    description (actions/handover.py); the replies to the last step, which opens the case."""
    respond = ActionRespond()
    first = f"{province_text}, công ty nợ lương 3 tháng"
    events = [{"event": "user", "text": first, "input_channel": "rest"}]
    _, slots, _ = run(respond, tracker(first, "wage_arrears", sender=sender, events=list(events)))
    for text, intent in ((f"cho tôi gặp cán bộ, số tôi {PHONE}", "human_handoff"), ("/affirm", "affirm"),
                         ("chủ xưởng nợ lương tôi ba tháng", "wage_arrears")):
        events.append({"event": "user", "text": text, "input_channel": "rest"})
        texts, slots, _ = run(respond, tracker(text, intent, slots=slots, sender=sender, events=list(events)))
    return texts, slots


def sent_messages(api):
    return [p for m, p in api.calls if m == "sendMessage"]


# --- the message and the chat, as functions ------------------------------------------------------------------

def test_message_has_the_case_link_and_nothing_personal():
    case = notify.NewCase(42, "Tây Ninh", "wage_arrears", "telegram", dt.datetime(2026, 11, 25, 2, 15))
    text = notify.message(case, BASE + "/")
    assert f"{BASE}/cases/42" in text and "Hồ sơ mới số 42" in text
    assert "Tây Ninh" in text and "Telegram" in text and "09:15 25/11/2026" in text  # UTC+7
    assert "lương" in text.lower()  # the topic's label, not its key
    assert_nothing_personal(text)


def test_chat_of_the_province_any_name_else_the_supervisors():
    chats = {"Long An": "-1", "TP HCM": "-2"}
    assert notify.chat_for("Tây Ninh", chats, env={}) == "-1"  # Long An merged into Tây Ninh
    assert notify.chat_for("TP Hồ Chí Minh", chats, env={}) == "-2"
    assert notify.chat_for("Hà Nội", chats, env={}) is None
    assert notify.chat_for(None, chats, env={}) is None
    assert notify.chat_for("Hà Nội", {**chats, "supervisors": "-9"}, env={}) == "-9"
    assert notify.chat_for("Hà Nội", chats, env={"ANSINH_TELEGRAM_SUPERVISORS_CHAT": "-8"}) == "-8"


def test_bot_token_from_the_environment_else_the_telegram_channel(tmp_path, monkeypatch):
    creds = tmp_path / "credentials.yml"
    creds.write_text("rest:\nchannels.telegram.TelegramInput:\n  access_token: ${TG_TEST_TOKEN}\n"
                     "  secret_token: x\n  base_url: http://127.0.0.1:1/bot\n")
    monkeypatch.setenv("TG_TEST_TOKEN", "111:from-credentials")
    env = {"ANSINH_CREDENTIALS": str(creds)}
    assert notify.bot_token(env) == "111:from-credentials" and notify.api_base(env) == "http://127.0.0.1:1/bot"
    assert notify.bot_token({**env, "ANSINH_TELEGRAM_STAFF_BOT_TOKEN": "222:staff"}) == "222:staff"
    assert notify.bot_token({"ANSINH_CREDENTIALS": str(tmp_path / "none.yml")}) is None


# --- from the action --------------------------------------------------------------------------------------------

def test_a_new_case_sends_one_message_to_the_provinces_chat(bot_api):
    texts, _ = ask_for_staff("tg-new")
    assert "mã hồ sơ 1" in texts[0]
    assert notify.wait_idle(30)
    sent = sent_messages(bot_api)
    assert len(sent) == 1, sent
    msg = sent[0]
    assert str(msg["chat_id"]) == CHAT
    assert f"{BASE}/cases/1" in msg["text"] and "Tây Ninh" in msg["text"]
    assert_nothing_personal(msg["text"])
    assert "parse_mode" not in msg  # plain text: nothing in it is read as markup
    assert set(bot_api.tokens) == {STAFF_TOKEN}
    # The case itself still has the description (for the case page); the message does not.
    assert PHONE in store.open_cases()[0]["summary"]


def test_a_request_added_to_the_open_case_sends_nothing(bot_api):
    ask_for_staff("tg-twice")
    assert notify.wait_idle(30)
    assert len(sent_messages(bot_api)) == 1
    repo.set_status(store.engine(), 1, "bot")  # staff handed it back to the bot: the case is still open
    texts, _, _ = run(ActionRespond(), tracker("tôi muốn gặp cán bộ lần nữa", "human_handoff", sender="tg-twice",
                                            slots={"province": "Tây Ninh"}))
    assert "hồ sơ số 1" in texts[0]  # the same case, extended
    assert notify.wait_idle(30)
    assert len(sent_messages(bot_api)) == 1
    assert len(store.open_cases()) == 1


def test_no_chat_configured_sends_nothing_and_fails_nothing(bot_api, monkeypatch, caplog):
    monkeypatch.setenv("ANSINH_CONSOLE_TELEGRAM_CHATS", json.dumps({"Hà Nội": "-1002"}))
    with caplog.at_level(logging.INFO, logger="channels.notify"):
        texts, _ = ask_for_staff("tg-nochat")
        assert notify.wait_idle(30)
    assert "mã hồ sơ 1" in texts[0]
    assert sent_messages(bot_api) == []
    assert "no staff Telegram chat" in caplog.text and PHONE not in caplog.text


def test_a_province_without_a_chat_goes_to_the_supervisors(bot_api, monkeypatch):
    monkeypatch.setenv("ANSINH_CONSOLE_TELEGRAM_CHATS", json.dumps({"Hà Nội": "-1002"}))
    monkeypatch.setenv("ANSINH_TELEGRAM_SUPERVISORS_CHAT", SUPERVISORS)
    ask_for_staff("tg-sup")
    assert notify.wait_idle(30)
    sent = sent_messages(bot_api)
    assert [str(m["chat_id"]) for m in sent] == [SUPERVISORS] and "Tây Ninh" in sent[0]["text"]


class SlowBrokenApi(BotApiStandIn):
    """Answers after 3 s, with an error."""

    async def _handle(self, request):
        self.calls.append((request.match_info["method"], {}))
        await asyncio.sleep(3)
        return web.json_response({"ok": False, "error_code": 500, "description": "Internal Server Error"}, status=500)


def test_a_slow_or_broken_bot_api_never_holds_up_the_reply(monkeypatch, caplog):
    slow = SlowBrokenApi().start()
    monkeypatch.setenv("ANSINH_TELEGRAM_API_BASE", f"{slow.url}/bot")
    t0 = time.perf_counter()
    texts, _ = ask_for_staff("tg-slow")
    assert time.perf_counter() - t0 < 2.5 and "mã hồ sơ 1" in texts[0]
    with caplog.at_level(logging.WARNING, logger="channels.notify"):
        assert notify.wait_idle(30)
    assert "staff notification failed" in caplog.text and STAFF_TOKEN.split(":")[1] not in caplog.text


def test_an_unreachable_bot_api_is_logged_not_raised(monkeypatch, caplog):
    from tests.servers import free_port

    monkeypatch.setenv("ANSINH_TELEGRAM_API_BASE", f"http://127.0.0.1:{free_port()}/bot")
    with caplog.at_level(logging.WARNING, logger="channels.notify"):
        texts, _ = ask_for_staff("tg-down")
        assert notify.wait_idle(30)
    assert "mã hồ sơ 1" in texts[0] and "staff notification failed" in caplog.text


# --- end to end: a Telegram user, a real Rasa and action server --------------------------------------------------

def test_end_to_end_over_telegram_one_announcement_per_case(tmp_path, bot_api, monkeypatch):
    """The staff bot token comes from the Telegram channel's credentials here (no ANSINH_TELEGRAM_STAFF_BOT_TOKEN)."""
    monkeypatch.delenv("ANSINH_TELEGRAM_STAFF_BOT_TOKEN")
    monkeypatch.delenv("ANSINH_TELEGRAM_API_BASE")
    credentials = (
        "rest:\n"
        "channels.telegram.TelegramInput:\n"
        f"  access_token: \"{TOKEN}\"\n  secret_token: \"{SECRET}\"\n"
        f"  base_url: \"{bot_api.url}/bot\"\n"
    )
    env = {"ANSINH_CREDENTIALS": str(tmp_path / "credentials.yml"), "ANSINH_CONSOLE_BASE_URL": BASE,
           "ANSINH_CONSOLE_TELEGRAM_CHATS": json.dumps({"Long An": CHAT})}
    user = 7001
    with assistant(tmp_path, credentials, extra_env=env) as port:
        assert post(port, text_update(1, user, "tôi ở Tây Ninh, công ty nợ lương 3 tháng rồi"))[0] == 200
        bot_api.wait_for(user, 1)
        assert post(port, text_update(2, user, f"cho tôi gặp cán bộ, số điện thoại của tôi là {PHONE}"))[0] == 200
        bot_api.wait_for(user, 2)  # consent asked
        assert post(port, text_update(3, user, "đồng ý"))[0] == 200
        bot_api.wait_for(user, 3)  # the one-line description asked
        assert post(port, text_update(4, user, "chủ xưởng nợ lương ba tháng"))[0] == 200
        staff = bot_api.wait_for(CHAT, 1)
        replies = bot_api.sent(user)
        assert any("mã hồ sơ 1" in r["text"] for r in bot_api.wait_for(user, 4))
        assert len(staff) == 1
        assert f"{BASE}/cases/1" in staff[0]["text"] and "Tây Ninh" in staff[0]["text"] and "Telegram" in staff[0]["text"]
        assert_nothing_personal(staff[0]["text"])
        # The same person asks again while the case waits for staff: it goes onto the case (the bot is paused
        # and silent), no second announcement.
        before = len(bot_api.sent(user))
        assert post(port, text_update(5, user, "tôi muốn gặp cán bộ"))[0] == 200
        time.sleep(3)
        assert len(bot_api.sent(user)) == before and len(bot_api.sent(CHAT)) == 1
        assert "tôi muốn gặp cán bộ" in [m["text"] for m in repo.messages(store.engine(f"sqlite:///{tmp_path}/cases.db"), 1)]
        assert replies and TOKEN in bot_api.tokens
