"""A benchmark SMS backend: sends nothing, leaves the text where the login driver reads it.

``BENCH_SMS_LATENCY_MS`` (default 0) makes each send wait that long first, as a call to a
real gateway would (the thread sleeps, other threads run): what a slow gateway does to
send-code and login throughput with fewer or more threads per worker.
"""

import os
import time

from django.conf import settings
from django_redis import get_redis_connection

from users.sms.base import BaseSmsBackend

OUTBOX_TTL = 300
LATENCY_S = float(os.environ.get("BENCH_SMS_LATENCY_MS", "0")) / 1000


def outbox_key(phone: str) -> str:
    """The Redis key holding the last message to ``phone`` (under the run's cache prefix)."""
    return f"{settings.CACHES['default']['KEY_PREFIX']}:bench-sms:{phone}"


class RedisOutboxBackend(BaseSmsBackend):
    """Like the locmem backend, but in Redis, so another process (the driver) can read codes."""

    def send(self, *, phone: str, text: str) -> None:
        if LATENCY_S:
            time.sleep(LATENCY_S)
        get_redis_connection("default").set(outbox_key(phone), text, ex=OUTBOX_TTL)
