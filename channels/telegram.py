"""Telegram connector built on python-telegram-bot 22 (Rasa's own channel uses aiogram).

Enable it in credentials.yml:

    channels.telegram.TelegramInput:
      access_token: ${TELEGRAM_TOKEN}
      secret_token: ${TELEGRAM_WEBHOOK_SECRET}

Telegram posts updates to ``/webhooks/telegram/webhook``. The webhook checks the
``X-Telegram-Bot-Api-Secret-Token`` header, answers 200 at once and lets the conversation continue in the
background. Set the webhook once at deploy time:

    python -m channels.telegram set-webhook https://example.org/webhooks/telegram/webhook

or run without a public address: ``python -m channels.telegram poll`` fetches updates with long polling
and posts them to the local webhook.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import html
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from channels.common import NON_TEXT_REPLY, in_background, split_message, too_long_reply
from cases import log_masking

logger = logging.getLogger(__name__)
log_masking.install()  # personal numbers never reach this process's logs

MAX_MESSAGE = 4096  # Telegram's limit for one message
COMMANDS = {"/start": "/greet", "/help": "/greet", "/restart": "/restart"}


def read_update(raw: bytes, bot: Optional[Bot]) -> Update:
    """The update of a webhook body; ValueError when it is not a JSON object with an ``update_id`` that
    python-telegram-bot can read (whatever is wrong in it is the sender's error: a 400, never a crash)."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or "update_id" not in data:
            raise ValueError("not an update")
        update = Update.de_json(data, bot)
        if update is None:
            raise ValueError("empty update")
        return update
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"malformed update: {type(error).__name__}") from None


def to_html(text: str) -> str:
    """Bot text as Telegram HTML: everything escaped, so user-derived text can never inject markup."""
    return html.escape(text, quote=False)


class TelegramOutput(OutputChannel):
    """Sends the assistant's messages to one Telegram chat."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for piece in split_message(to_html(text), MAX_MESSAGE):
            await self.bot.send_message(chat_id=recipient_id, text=piece, parse_mode=ParseMode.HTML)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        keyboard = [
            [InlineKeyboardButton(b["title"][:64], callback_data=(b.get("payload") or b["title"])[:64])]
            for b in buttons
        ]
        pieces = split_message(to_html(text), MAX_MESSAGE)
        for piece in pieces[:-1]:
            await self.bot.send_message(chat_id=recipient_id, text=piece, parse_mode=ParseMode.HTML)
        await self.bot.send_message(
            chat_id=recipient_id, text=pieces[-1] if pieces else "…", parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(keyboard),
        )

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.bot.send_photo(chat_id=recipient_id, photo=image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        text = json_message.get("text")
        if text:
            await self.send_text_message(recipient_id, text)


class TelegramInput(InputChannel):
    """Telegram webhook: verifies the secret token, answers fast, hands the update to Rasa."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials or not credentials.get("access_token") or not credentials.get("secret_token"):
            raise ValueError("telegram: access_token and secret_token are required")
        return cls(
            credentials["access_token"],
            credentials["secret_token"],
            base_url=credentials.get("base_url") or "https://api.telegram.org/bot",
        )

    def __init__(self, access_token: Text, secret_token: Text, base_url: Text = "https://api.telegram.org/bot") -> None:
        self.bot = Bot(access_token, base_url=base_url)
        self.secret_token = secret_token
        self._tasks: set = set()
        self._initialized = False

    async def _bot(self) -> Bot:
        if not self._initialized:
            await self.bot.initialize()
            self._initialized = True
        return self.bot

    def get_output_channel(self) -> Optional[OutputChannel]:
        return TelegramOutput(self.bot)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
                return response.json({"error": "invalid secret token"}, status=403)
            try:
                update = read_update(request.body or b"", self.bot)
            except ValueError:
                return response.json({"error": "malformed update"}, status=400)
            in_background(self._tasks, self._handle(update, on_new_message))
            return response.json({"status": "accepted"})

        return hook

    async def _handle(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            bot = await self._bot()
            out = TelegramOutput(bot)
            text: Optional[str] = None
            chat_id: Optional[int] = None
            user_id: Optional[int] = None
            if update.callback_query:
                query = update.callback_query
                await query.answer()
                text = query.data
                chat_id = query.message.chat.id if query.message else query.from_user.id
                user_id = query.from_user.id
            elif update.effective_message:
                msg = update.effective_message
                chat_id = msg.chat.id
                user_id = msg.from_user.id if msg.from_user else chat_id
                if msg.text is None:
                    await out.send_text_message(str(chat_id), NON_TEXT_REPLY)
                    return
                text = msg.text.strip()
                command = text.split()[0].split("@")[0] if text.startswith("/") else None
                if command in COMMANDS:
                    text = COMMANDS[command]
            if chat_id is None or text is None:
                return  # edits, channel posts, member updates: nothing to answer
            refusal = too_long_reply(text)
            if refusal:
                await out.send_text_message(str(chat_id), refusal)
                return
            await on_new_message(
                UserMessage(
                    text,
                    out,
                    str(chat_id),
                    input_channel=self.name(),
                    metadata={"telegram_user_id": user_id, "update_id": update.update_id},
                )
            )
        except TelegramError:
            logger.exception("telegram: could not deliver a reply")
        except Exception:  # noqa: BLE001 - a background task must log, not vanish
            logger.exception("telegram: failed to handle update %s", update.update_id)


def _bot_from_env() -> Bot:
    return Bot(os.environ["TELEGRAM_TOKEN"], base_url=os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"))


async def _set_webhook(url: str) -> None:
    bot = _bot_from_env()
    async with bot:
        await bot.set_webhook(url=url, secret_token=os.environ["TELEGRAM_WEBHOOK_SECRET"], drop_pending_updates=False)
        info = await bot.get_webhook_info()
        print(f"webhook set: {info.url}")


async def _poll(local_webhook: str) -> None:
    """Long polling for machines without a public address: forward each update to the local webhook."""
    import aiohttp

    bot = _bot_from_env()
    secret = os.environ["TELEGRAM_WEBHOOK_SECRET"]
    offset = None
    async with bot, aiohttp.ClientSession() as http:
        await bot.delete_webhook()
        while True:
            updates = await bot.get_updates(offset=offset, timeout=30)
            for u in updates:
                offset = u.update_id + 1
                async with http.post(local_webhook, json=u.to_dict(), headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as r:
                    if r.status != 200:
                        logger.warning("local webhook answered %s", r.status)


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m channels.telegram")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("set-webhook", help="register the webhook URL and secret with Telegram")
    s.add_argument("url")
    p = sub.add_parser("poll", help="long polling, forwarding updates to the local webhook")
    p.add_argument("--webhook", default="http://localhost:5005/webhooks/telegram/webhook")
    args = ap.parse_args(argv)
    if args.cmd == "set-webhook":
        asyncio.run(_set_webhook(args.url))
    else:
        asyncio.run(_poll(args.webhook))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
