"""A benchmark SMS backend: sends nothing, leaves the text where the login driver reads it."""

from django.conf import settings
from django_redis import get_redis_connection

from users.sms.base import BaseSmsBackend

OUTBOX_TTL = 300


def outbox_key(phone: str) -> str:
    """The Redis key holding the last message to ``phone`` (under the run's cache prefix)."""
    return f"{settings.CACHES['default']['KEY_PREFIX']}:bench-sms:{phone}"


class RedisOutboxBackend(BaseSmsBackend):
    """Like the locmem backend, but in Redis, so another process (the driver) can read codes."""

    def send(self, *, phone: str, text: str) -> None:
        get_redis_connection("default").set(outbox_key(phone), text, ex=OUTBOX_TTL)
