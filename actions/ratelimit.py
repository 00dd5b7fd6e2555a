"""One per-conversation rate limit for every channel, enforced by the action server.

Setting (environment):

- ``ANSINH_RATE_LIMIT`` = ``"<messages>/<seconds>"``, default ``"15/30"``: at most that many questions per
  conversation in any sliding window of that many seconds. Parsed strictly; a bad value stops the action
  server at start.
- Backend: process memory, unless the deployment uses Redis: ``ANSINH_RATE_LIMIT_REDIS_URL`` if set, else
  ``redis://REDIS_HOST:REDIS_PORT/REDIS_DB`` when ``REDIS_HOST`` is set (the variables of the production
  lock store). With Redis, every replica of the action server shares one count per conversation.
  When Redis cannot be reached the limiter lets the message through and logs a warning: a counter must
  never cost the user an answer.

Plain Python: imports neither Rasa nor the channels (``redis`` only for the Redis backend).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Mapping, Optional, Union

logger = logging.getLogger(__name__)

RATE_LIMIT_REPLY = "Anh/chị gửi nhanh quá, tôi chưa kịp trả lời. Anh/chị đợi một chút rồi nhắn tiếp nhé."
DEFAULT_RATE_LIMIT = "15/30"
KEY_PREFIX = "ansinh:ratelimit:"

_SETTING = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")


class RateLimitSettingError(ValueError):
    """A rate-limit setting the operator has to fix before the server can start."""


@dataclass(frozen=True)
class RateLimit:
    messages: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.messages}/{self.seconds}"


def parse_rate_limit(value: str, name: str = "ANSINH_RATE_LIMIT") -> RateLimit:
    """``"15/30"`` -> RateLimit(15, 30). Whole positive numbers only, nothing around them."""
    m = _SETTING.fullmatch(value.strip()) if isinstance(value, str) else None
    if not m:
        raise RateLimitSettingError(
            f"{name}={value!r} is not valid: expected '<messages>/<seconds>' with whole numbers above zero, "
            f"e.g. {DEFAULT_RATE_LIMIT!r} (15 messages per conversation in 30 seconds)"
        )
    return RateLimit(int(m.group(1)), int(m.group(2)))


class MemoryRateLimiter:
    """Sliding window per conversation in this process (one replica only)."""

    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self._seen: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + rate.seconds

    def allow(self, key: str) -> bool:
        with self._lock:
            now = self.clock()
            if now >= self._next_sweep:
                self._sweep(now)
            q = self._seen.setdefault(key, deque())
            while q and now - q[0] >= self.rate.seconds:
                q.popleft()
            if len(q) >= self.rate.messages:
                return False
            q.append(now)
            return True

    def _sweep(self, now: float) -> None:
        """Forget conversations that have been quiet for a whole window, so memory stays bounded."""
        for key in [k for k, q in self._seen.items() if not q or now - q[-1] >= self.rate.seconds]:
            del self._seen[key]
        self._next_sweep = now + self.rate.seconds

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


# Sliding window in a sorted set, atomically: drop entries older than the window, count, add when allowed.
# Time comes from the Redis server, so replicas with skewed clocks still share one window.
_SLIDING_WINDOW = """
if redis.replicate_commands then redis.replicate_commands() end  -- Redis < 5: writes after TIME
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1]) * 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


class RedisRateLimiter:
    """Sliding window per conversation in Redis, shared by every replica; fails open."""

    def __init__(
        self, rate: RateLimit, url: str, prefix: str = KEY_PREFIX, timeout: float = 0.5, retry_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis

        self.rate, self.url, self.prefix = rate, url, prefix
        self.retry_after, self.clock = retry_after, clock
        self._errors = (redis.RedisError, OSError)
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script = self._redis.register_script(_SLIDING_WINDOW)
        self._down_until = 0.0

    def key(self, conversation: str) -> str:
        return f"{self.prefix}{conversation}"

    def allow(self, key: str) -> bool:
        if self.clock() < self._down_until:
            return True  # Redis failed a moment ago: do not make every user wait for its timeout
        try:
            return bool(self._script(keys=[self.key(key)], args=[self.rate.seconds, self.rate.messages, uuid.uuid4().hex]))
        except self._errors as err:
            self._down_until = self.clock() + self.retry_after
            logger.warning("rate limit: Redis at %s unreachable (%s); letting messages through for %.0f s",
                           _safe(self.url), err, self.retry_after)
            return True

    def reset(self) -> None:
        """Forget every count under this limiter's prefix (tests, maintenance)."""
        keys = list(self._redis.scan_iter(match=f"{self.prefix}*", count=500))
        if keys:
            self._redis.delete(*keys)


RateLimiter = Union[MemoryRateLimiter, RedisRateLimiter]


def _safe(url: str) -> str:
    """The URL without a password, for logs."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def redis_url_from_env(env: Mapping[str, str]) -> Optional[str]:
    explicit = (env.get("ANSINH_RATE_LIMIT_REDIS_URL") or "").strip()
    if explicit:
        if not re.match(r"(redis|rediss|unix)://", explicit):
            raise RateLimitSettingError(
                f"ANSINH_RATE_LIMIT_REDIS_URL={_safe(explicit)!r} is not valid: expected redis://host:port/db"
            )
        return explicit
    host = (env.get("REDIS_HOST") or "").strip()
    if not host:
        return None
    port, db = (env.get("REDIS_PORT") or "6379").strip(), (env.get("REDIS_DB") or "0").strip()
    for name, value in (("REDIS_PORT", port), ("REDIS_DB", db)):
        if not value.isdigit():
            raise RateLimitSettingError(f"{name}={value!r} is not valid: expected a whole number")
    return f"redis://{host}:{port}/{db}"


def limiter_from_env(env: Optional[Mapping[str, str]] = None) -> RateLimiter:
    """The limiter this deployment asks for; raises RateLimitSettingError on a bad setting."""
    env = os.environ if env is None else env
    rate = parse_rate_limit(env.get("ANSINH_RATE_LIMIT") or DEFAULT_RATE_LIMIT)
    url = redis_url_from_env(env)
    if url:
        logger.info("rate limit %s per conversation, shared in Redis at %s", rate, _safe(url))
        return RedisRateLimiter(rate, url)
    logger.info("rate limit %s per conversation, in process memory", rate)
    return MemoryRateLimiter(rate)
