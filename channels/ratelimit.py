"""Per-user sliding-window rate limit (in process memory)."""
from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Deque, Dict

RATE_LIMIT_REPLY = "Anh/chị gửi nhanh quá, tôi chưa kịp trả lời. Anh/chị đợi một chút rồi nhắn tiếp nhé."


class RateLimiter:
    """At most ``limit`` messages per ``window`` seconds per user."""

    def __init__(self, limit: int = 8, window: float = 10.0) -> None:
        self.limit, self.window = limit, window
        self._seen: Dict[str, Deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        q = self._seen[key]
        while q and now - q[0] > self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True

    def reset(self) -> None:
        self._seen.clear()
