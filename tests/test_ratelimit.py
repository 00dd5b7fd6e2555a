"""The one per-conversation rate limit: setting, memory window, Redis shared by replicas, fail-open."""
import logging
import socket
import uuid

import pytest

from actions.ratelimit import (
    MemoryRateLimiter,
    RateLimit,
    RateLimitSettingError,
    RedisRateLimiter,
    limiter_from_env,
    parse_rate_limit,
    redis_url_from_env,
)

REDIS_URL = "redis://127.0.0.1:6379/3"


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


# --- setting -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("15/30", RateLimit(15, 30)), ("1/1", RateLimit(1, 1)),
                                             (" 100/3600 ", RateLimit(100, 3600))])
def test_good_settings(value, expected):
    assert parse_rate_limit(value) == expected


@pytest.mark.parametrize("value", ["", "15", "15/", "/30", "0/30", "15/0", "-1/30", "15/-30", "1.5/30", "15/30.5",
                                   "15 / 30", "15/30/60", "15:30", "mười lăm/30", "15/30s", "0x10/30", "١٥/30"])
def test_bad_settings_fail_with_a_clear_error(value):
    with pytest.raises(RateLimitSettingError) as err:
        parse_rate_limit(value)
    assert "ANSINH_RATE_LIMIT" in str(err.value) and "<messages>/<seconds>" in str(err.value)


def test_default_is_15_in_30_seconds_in_memory():
    limiter = limiter_from_env({})
    assert isinstance(limiter, MemoryRateLimiter) and limiter.rate == RateLimit(15, 30)


def test_bad_environment_value_fails_at_start():
    with pytest.raises(RateLimitSettingError):
        limiter_from_env({"ANSINH_RATE_LIMIT": "fifteen"})


def test_redis_url_comes_from_the_explicit_setting_or_the_production_variables():
    assert redis_url_from_env({}) is None
    assert redis_url_from_env({"REDIS_HOST": "cache", "REDIS_PORT": "6380", "REDIS_DB": "2"}) == "redis://cache:6380/2"
    assert redis_url_from_env({"REDIS_HOST": "cache"}) == "redis://cache:6379/0"
    explicit = {"ANSINH_RATE_LIMIT_REDIS_URL": "redis://other:6379/5", "REDIS_HOST": "cache"}
    assert redis_url_from_env(explicit) == "redis://other:6379/5"
    with pytest.raises(RateLimitSettingError):
        redis_url_from_env({"REDIS_HOST": "cache", "REDIS_PORT": "six"})
    with pytest.raises(RateLimitSettingError):
        redis_url_from_env({"ANSINH_RATE_LIMIT_REDIS_URL": "cache:6379"})


def test_redis_backend_is_chosen_when_the_deployment_uses_redis():
    limiter = limiter_from_env({"ANSINH_RATE_LIMIT": "3/60", "REDIS_HOST": "127.0.0.1"})
    assert isinstance(limiter, RedisRateLimiter) and limiter.rate == RateLimit(3, 60)


# --- memory backend ------------------------------------------------------------------------------------------

def test_memory_window_allows_the_limit_then_refuses():
    limiter = MemoryRateLimiter(RateLimit(3, 30), clock=Clock())
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another conversation has its own count


def test_memory_window_slides():
    clock = Clock()
    limiter = MemoryRateLimiter(RateLimit(3, 30), clock=clock)
    for t in (0, 10, 20):
        clock.now = 1000 + t
        assert limiter.allow("a")
    clock.now = 1029.9
    assert not limiter.allow("a")  # three messages in the last 30 s
    clock.now = 1030.0
    assert limiter.allow("a")  # the first has left the window
    assert not limiter.allow("a")
    clock.now = 1040.0
    assert limiter.allow("a")  # the second has left it too


def test_refused_messages_do_not_count():
    clock = Clock()
    limiter = MemoryRateLimiter(RateLimit(2, 10), clock=clock)
    assert limiter.allow("a") and limiter.allow("a")
    for _ in range(50):
        clock.now += 0.1
        assert not limiter.allow("a")
    clock.now = 1010.0
    assert limiter.allow("a")


def test_quiet_conversations_are_forgotten():
    clock = Clock()
    limiter = MemoryRateLimiter(RateLimit(2, 10), clock=clock)
    for i in range(100):
        limiter.allow(f"user-{i}")
    clock.now += 11
    limiter.allow("late")
    assert list(limiter._seen) == ["late"]


def test_reset_forgets_every_count():
    limiter = MemoryRateLimiter(RateLimit(1, 60), clock=Clock())
    assert limiter.allow("a") and not limiter.allow("a")
    limiter.reset()
    assert limiter.allow("a")


# --- Redis backend (the machine's Redis) ---------------------------------------------------------------------

@pytest.fixture()
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.fail(f"Redis at {REDIS_URL} is not running: {err}")
    yield client
    client.close()


@pytest.fixture()
def replicas(redis_client):
    """Two limiters on one Redis, as two replicas of the action server would have."""
    prefix = f"ansinh:test-ratelimit:{uuid.uuid4().hex}:"
    a = RedisRateLimiter(RateLimit(3, 2), REDIS_URL, prefix=prefix)
    b = RedisRateLimiter(RateLimit(3, 2), REDIS_URL, prefix=prefix)
    yield a, b
    a.reset()


@pytest.mark.production
def test_replicas_share_one_count(replicas):
    a, b = replicas
    assert a.allow("chat-1") and b.allow("chat-1") and a.allow("chat-1")
    assert not b.allow("chat-1") and not a.allow("chat-1")
    assert b.allow("chat-2")  # another conversation


@pytest.mark.production
def test_redis_keys_expire_and_the_window_reopens(replicas, redis_client):
    import time

    a, b = replicas
    for _ in range(3):
        assert a.allow("chat-3")
    assert not b.allow("chat-3")
    ttl = redis_client.ttl(a.key("chat-3"))
    assert 0 < ttl <= 2
    time.sleep(2.2)
    assert not redis_client.exists(a.key("chat-3"))  # nothing left behind
    assert b.allow("chat-3")


@pytest.mark.production
def test_concurrent_replicas_never_exceed_the_limit(redis_client):
    from concurrent.futures import ThreadPoolExecutor

    prefix = f"ansinh:test-ratelimit:{uuid.uuid4().hex}:"
    limiters = [RedisRateLimiter(RateLimit(10, 30), REDIS_URL, prefix=prefix) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda i: limiters[i % 4].allow("busy"), range(40)))
        assert sum(results) == 10
    finally:
        limiters[0].reset()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is


def test_unreachable_redis_lets_messages_through_and_warns(caplog):
    limiter = RedisRateLimiter(RateLimit(1, 30), f"redis://127.0.0.1:{closed_port()}/0", timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="actions.ratelimit"):
        assert all(limiter.allow("chat") for _ in range(5))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()  # once, not for every message


def test_redis_is_tried_again_after_a_pause(caplog):
    clock = Clock()
    limiter = RedisRateLimiter(RateLimit(1, 30), f"redis://127.0.0.1:{closed_port()}/0", timeout=0.2,
                               retry_after=5, clock=clock)

    def warnings():
        return sum(1 for r in caplog.records if r.levelno == logging.WARNING)

    with caplog.at_level(logging.WARNING, logger="actions.ratelimit"):
        assert limiter.allow("chat") and warnings() == 1
        clock.now += 4.9
        assert limiter.allow("chat") and warnings() == 1  # not asked during the pause
        clock.now += 0.1
        assert limiter.allow("chat") and warnings() == 2  # asked again, still down
