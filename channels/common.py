"""What the Telegram and Zalo connectors share: user-facing replies, the input limit, message splitting and
background handling of webhook events. Neither connector imports the other."""
from __future__ import annotations

import asyncio
from typing import Any, Coroutine, List, Optional, Set

from actions.limits import MAX_MESSAGE_CHARS

# One limit for the channels and the dialogue (ANSINH_MAX_MESSAGE_CHARS).
MAX_INPUT_CHARS = MAX_MESSAGE_CHARS
NON_TEXT_REPLY = (
    "Xin lỗi, tôi chỉ đọc được tin nhắn chữ. Anh/chị gõ câu hỏi giúp tôi nhé, "
    "ví dụ: “đóng BHXH tự nguyện mỗi tháng bao nhiêu?”."
)
TOO_LONG_REPLY = "Tin nhắn dài quá {n} ký tự nên tôi chưa đọc được. Anh/chị viết ngắn lại câu hỏi chính giúp tôi nhé."


def too_long_reply(text: str) -> Optional[str]:
    """The polite refusal when ``text`` is longer than the assistant reads, else None."""
    return TOO_LONG_REPLY.format(n=MAX_INPUT_CHARS) if len(text) > MAX_INPUT_CHARS else None


def split_message(text: str, limit: int) -> List[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at a paragraph, line or word break,
    never inside a word or an HTML tag/entity."""
    pieces: List[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        # never inside "<...>" or "&...;"
        lt, gt = window.rfind("<", 0, cut), window.rfind(">", 0, cut)
        if lt > gt:
            cut = lt
        amp, semi = window.rfind("&", 0, cut), window.rfind(";", 0, cut)
        if amp > semi and cut - amp < 10:
            cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def in_background(tasks: Set["asyncio.Task[Any]"], work: Coroutine[Any, Any, Any]) -> None:
    """Run ``work`` after the webhook has answered; ``tasks`` keeps a reference until it is done."""
    task = asyncio.create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
