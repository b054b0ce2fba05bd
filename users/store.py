"""Atomic counters and one-time codes: Lua scripts on Redis, a locked dict in process.

Every operation here is one atomic step on the server, so concurrent requests can never
both spend a code or both slip under a limit. Without REDIS_URL the same operations run
under a process-wide lock (development and the embedded test configuration).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache, wraps
from typing import ParamSpec, Protocol, TypeVar, cast

import redis
from django.conf import settings

from referral_system.errors import ServiceUnavailable


class CodeCheck(Enum):
    OK = "ok"
    WRONG = "wrong"
    MISSING = "missing"


@dataclass(frozen=True)
class Hit:
    count: int  # the counter after this hit
    ttl: int  # seconds until the window resets


class Store(Protocol):
    def hit(self, key: str, window: int) -> Hit: ...
    def refund(self, key: str) -> None: ...
    def claim(self, key: str, ttl: int) -> bool: ...
    def ttl(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def code_put(self, key: str, digest: str, ttl: int) -> None: ...
    def code_check(self, key: str, digest: str, max_attempts: int) -> tuple[CodeCheck, int]: ...
    def clear(self) -> None: ...


# KEYS[1] counter; ARGV[1] window. Returns {count, ttl}.
_HIT = """
local c = redis.call('INCR', KEYS[1])
local t = redis.call('TTL', KEYS[1])
if t < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}
"""
# Gives one unit back, never creating a key (a DECR on an expired key would live forever).
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0
"""
# KEYS[1] code hash {d = digest, a = wrong attempts}; ARGV[1] digest, ARGV[2] max attempts.
_CODE_CHECK = """
local stored = redis.call('HGET', KEYS[1], 'd')
if not stored then return {'missing', 0} end
if stored == ARGV[1] then redis.call('DEL', KEYS[1]); return {'ok', 0} end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
local left = tonumber(ARGV[2]) - a
if left <= 0 then redis.call('DEL', KEYS[1]); left = 0 end
return {'wrong', left}
"""
_CODE_PUT = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


P = ParamSpec("P")
R = TypeVar("R")


def _fail_closed(method: Callable[P, R]) -> Callable[P, R]:
    """Any Redis failure becomes ServiceUnavailable: limits fail closed, never open."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise ServiceUnavailable() from exc

    return wrapper


class RedisStore:
    """The store on Redis (django-redis's connection pool), shared by every instance."""

    def __init__(self, prefix: str) -> None:
        from django_redis import get_redis_connection

        self.redis = get_redis_connection("default")
        self.prefix = prefix + ":"
        self._hit = self.redis.register_script(_HIT)
        self._refund = self.redis.register_script(_REFUND)
        self._check = self.redis.register_script(_CODE_CHECK)
        self._put = self.redis.register_script(_CODE_PUT)

    @_fail_closed
    def hit(self, key: str, window: int) -> Hit:
        count, ttl = self._hit(keys=[self.prefix + key], args=[window])
        return Hit(int(count), int(ttl))

    @_fail_closed
    def refund(self, key: str) -> None:
        self._refund(keys=[self.prefix + key])

    @_fail_closed
    def claim(self, key: str, ttl: int) -> bool:
        return bool(self.redis.set(self.prefix + key, 1, nx=True, ex=ttl))

    @_fail_closed
    def ttl(self, key: str) -> int:
        return max(0, int(self.redis.ttl(self.prefix + key)))

    @_fail_closed
    def delete(self, key: str) -> None:
        self.redis.delete(self.prefix + key)

    @_fail_closed
    def code_put(self, key: str, digest: str, ttl: int) -> None:
        self._put(keys=[self.prefix + key], args=[digest, ttl])

    @_fail_closed
    def code_check(self, key: str, digest: str, max_attempts: int) -> tuple[CodeCheck, int]:
        result, left = self._check(keys=[self.prefix + key], args=[digest, max_attempts])
        return CodeCheck(result.decode() if isinstance(result, bytes) else result), int(left)

    @_fail_closed
    def clear(self) -> None:
        keys = list(self.redis.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.redis.delete(*keys)


class MemoryStore:
    """The same operations in this process, each under one lock (no Redis configured)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[object, float]] = {}

    def _get(self, key: str) -> object | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item[0]

    def _ttl(self, key: str) -> int:
        item = self._data.get(key)
        return max(0, round(item[1] - time.monotonic())) if item else 0

    def hit(self, key: str, window: int) -> Hit:
        with self._lock:
            current = self._get(key)
            if current is None:
                self._data[key] = (1, time.monotonic() + window)
                return Hit(1, window)
            count = int(current) + 1  # type: ignore[call-overload]
            self._data[key] = (count, self._data[key][1])
            return Hit(count, self._ttl(key))

    def refund(self, key: str) -> None:
        with self._lock:
            current = self._get(key)
            if current is not None:
                self._data[key] = (int(current) - 1, self._data[key][1])  # type: ignore[call-overload]

    def claim(self, key: str, ttl: int) -> bool:
        with self._lock:
            if self._get(key) is not None:
                return False
            self._data[key] = (1, time.monotonic() + ttl)
            return True

    def ttl(self, key: str) -> int:
        with self._lock:
            return self._ttl(key) if self._get(key) is not None else 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def code_put(self, key: str, digest: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = ((digest, 0), time.monotonic() + ttl)

    def code_check(self, key: str, digest: str, max_attempts: int) -> tuple[CodeCheck, int]:
        with self._lock:
            stored = self._get(key)
            if stored is None:
                return CodeCheck.MISSING, 0
            stored_digest, attempts = cast(tuple[str, int], stored)
            if stored_digest == digest:
                del self._data[key]
                return CodeCheck.OK, 0
            attempts += 1
            left = max_attempts - attempts
            if left <= 0:
                del self._data[key]
                return CodeCheck.WRONG, 0
            self._data[key] = ((stored_digest, attempts), self._data[key][1])
            return CodeCheck.WRONG, left

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@cache
def get_store() -> Store:
    """The store for this process: Redis when the default cache is django-redis."""
    if "django_redis" in settings.CACHES["default"]["BACKEND"]:
        return RedisStore(settings.CACHES["default"].get("KEY_PREFIX", "rs"))
    return MemoryStore()
