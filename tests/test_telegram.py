"""Telegram connector: pure helpers, and end to end against a local stand-in of the Bot API.

A user update goes in through the real webhook of a running Rasa server; the answer must come out at
the stand-in with the right chat id, in HTML, within the time the conversation takes.
"""
import json
import os
import time
from urllib.parse import parse_qs

import pytest
from aiohttp import web

from actions.ratelimit import DEFAULT_RATE_LIMIT, RATE_LIMIT_REPLY, parse_rate_limit
from channels.common import split_message
from channels.telegram import MAX_MESSAGE, to_html
from tests.servers import assistant, post_webhook
from tests.standins import StandIn

TOKEN = "123456:TEST-token"
SECRET = "s3cret-token"


def test_split_keeps_words_and_tags_whole():
    text = ("Lương hưu &amp; trợ cấp <b>quan trọng</b> " * 400).strip()
    pieces = split_message(text, MAX_MESSAGE)
    assert all(len(p) <= 4096 for p in pieces) and len(pieces) > 1
    assert " ".join(pieces).split() == text.split()
    for p in pieces:
        assert p.count("<b>") == p.count("</b>") or not p.rstrip().endswith("<")
        assert not p.endswith("&amp") and not p.endswith("&")


def test_split_short_text_is_one_piece():
    assert split_message("xin chào", MAX_MESSAGE) == ["xin chào"]


def test_user_text_is_escaped():
    assert to_html("<script>alert(1)</script> & 5 > 3") == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 5 &gt; 3"


class BotApiStandIn(StandIn):
    """Answers the few Bot API methods the connector uses and records what it was sent."""

    def routes(self, app):
        app.router.add_post("/bot{token}/{method}", self._handle)

    async def _handle(self, request):
        method = request.match_info["method"]
        body = await request.read()
        if request.content_type == "application/json":
            params = json.loads(body or b"{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.calls.append((method, params))
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "An Sinh", "username": "ansinh_bot"}
        elif method == "getWebhookInfo":
            url = next((p.get("url") for m, p in reversed(self.calls) if m == "setWebhook"), "")
            result = {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
        elif method == "sendMessage":
            result = {"message_id": len(self.calls), "date": int(time.time()),
                      "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params.get("text", "")}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    def sent(self, chat_id):
        return [p for m, p in self.calls if m == "sendMessage" and str(p.get("chat_id")) == str(chat_id)]

    def wait_for(self, chat_id, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.sent(chat_id)) >= count:
                return self.sent(chat_id)
            time.sleep(0.2)
        raise AssertionError(f"no reply to chat {chat_id}; calls: {self.calls}")


def post(port, payload, secret=SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return post_webhook(f"http://127.0.0.1:{port}/webhooks/telegram/webhook", body,
                        {"X-Telegram-Bot-Api-Secret-Token": secret})


def text_update(update_id, chat_id, text):
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "text": text}}


@pytest.fixture(scope="module")
def telegram_rasa(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("telegram")
    api = BotApiStandIn().start()
    credentials = (
        "rest:\n"
        "channels.telegram.TelegramInput:\n"
        f"  access_token: \"{TOKEN}\"\n  secret_token: \"{SECRET}\"\n"
        f"  base_url: \"http://127.0.0.1:{api.port}/bot\"\n"
    )
    with assistant(tmp, credentials) as port:
        yield port, api


def test_message_in_answer_out_at_the_stand_in(telegram_rasa):
    port, api = telegram_rasa
    status, seconds = post(port, text_update(1, 1001, "đóng bhxh tự nguyện mỗi tháng bao nhiêu tiền"))
    assert status == 200
    replies = api.wait_for(1001)
    text = "\n".join(r["text"] for r in replies)
    assert "22%" in text and "1.500.000 đồng" in text
    assert all(r.get("parse_mode") == "HTML" for r in replies)
    assert any("reply_markup" in r for r in replies)  # buttons as an inline keyboard


def test_button_press_is_a_message(telegram_rasa):
    port, api = telegram_rasa
    update = {"update_id": 2, "callback_query": {"id": "cb1", "chat_instance": "x", "data": "/hi_household",
              "from": {"id": 1002, "is_bot": False, "first_name": "B"},
              "message": {"message_id": 5, "date": int(time.time()), "chat": {"id": 1002, "type": "private"}, "text": "menu"}}}
    assert post(port, update)[0] == 200
    replies = api.wait_for(1002)
    assert "113.850 đồng" in replies[0]["text"]
    assert any(m == "answerCallbackQuery" for m, _ in api.calls)


def test_sticker_gets_a_polite_text_answer(telegram_rasa):
    port, api = telegram_rasa
    update = {"update_id": 3, "message": {"message_id": 3, "date": int(time.time()), "chat": {"id": 1003, "type": "private"},
              "from": {"id": 1003, "is_bot": False, "first_name": "C"},
              "sticker": {"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1, "is_animated": False,
                          "is_video": False, "type": "regular"}}}
    assert post(port, update)[0] == 200
    assert "chỉ đọc được tin nhắn chữ" in api.wait_for(1003)[0]["text"]


def test_start_command_greets(telegram_rasa):
    port, api = telegram_rasa
    assert post(port, text_update(4, 1004, "/start"))[0] == 200
    assert "Trợ lý An Sinh" in api.wait_for(1004)[0]["text"]


def test_forged_secret_and_malformed_body_are_refused(telegram_rasa):
    port, api = telegram_rasa
    before = len(api.calls)
    assert post(port, text_update(5, 1005, "xin chào"), secret="wrong")[0] == 403
    assert post(port, text_update(6, 1005, "xin chào"), secret="")[0] == 403
    assert post(port, b"{not json")[0] == 400
    assert post(port, {"hello": "world"})[0] == 400
    time.sleep(1)
    assert not api.sent(1005) and len(api.calls) == before


def test_too_long_message_is_refused_politely(telegram_rasa):
    port, api = telegram_rasa
    assert post(port, text_update(7, 1007, "bhxh " * 400))[0] == 200
    assert "dài quá" in api.wait_for(1007)[0]["text"]


def test_too_many_messages_get_the_polite_pause_message_from_the_action(telegram_rasa):
    port, api = telegram_rasa
    limit = parse_rate_limit(os.environ.get("ANSINH_RATE_LIMIT") or DEFAULT_RATE_LIMIT).messages
    for i in range(limit):
        assert post(port, text_update(100 + i, 1008, "lương tối thiểu vùng bao nhiêu"))[0] == 200
        api.wait_for(1008, i + 1)
    assert post(port, text_update(100 + limit, 1008, "lương tối thiểu vùng bao nhiêu"))[0] == 200
    replies = [r["text"] for r in api.wait_for(1008, limit + 1)]
    assert all("Vùng I" in r for r in replies[:limit])
    assert replies[limit] == RATE_LIMIT_REPLY
    assert post(port, text_update(200, 1009, "lương tối thiểu vùng bao nhiêu"))[0] == 200
    assert "Vùng I" in api.wait_for(1009)[0]["text"]  # other chats are not slowed down


def test_set_webhook_command_registers_url_and_secret(monkeypatch, capsys):
    from channels.telegram import main

    api = BotApiStandIn().start()
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE", f"http://127.0.0.1:{api.port}/bot")
    assert main(["set-webhook", "https://portal.example/webhooks/telegram/webhook"]) == 0
    calls = [p for m, p in api.calls if m == "setWebhook"]
    assert calls and calls[0]["url"] == "https://portal.example/webhooks/telegram/webhook"
    assert calls[0]["secret_token"] == SECRET
    assert "webhook set" in capsys.readouterr().out
