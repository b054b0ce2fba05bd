"""Helpers for the test suites: authenticated clients and threads released together."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient

from core.redis import redis_connection, redis_key
from users.models import User
from users.tokens import token_pair_issue

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_REDIS = settings.REDIS_SHARED

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL row locks; runs in .ci/run's PostgreSQL pass"
)


def auth_client(user: User) -> APIClient:
    """An API client carrying a fresh access token for ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_pair_issue(user=user)["access"])
    return client


def run_parallel(fn: Callable[[int], Any], n: int) -> list[Any]:
    """Run ``fn(i)`` in ``n`` threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # the test asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def redis_clear() -> None:
    """Forget every code, counter and cache entry of this run (only under its key prefix)."""
    cache.delete_pattern("*")  # type: ignore[attr-defined]


def limit_reset(rule: str, subject: str) -> None:
    """Forget one rule's count for one subject (as if its window had passed)."""
    redis_connection().delete(redis_key(f"limit:{rule}:{subject}"))


def stored_codes() -> list[dict[Any, Any]]:
    """Every one-time code as Redis holds it."""
    db = redis_connection()
    return [db.hgetall(key) for key in db.scan_iter(match=redis_key("otp:*"))]


def page_sign_in(client: Any, phone: str) -> None:
    """Sign ``client`` in on the HTML pages with a code from the SMS outbox, as a person does."""
    from users.tests.helpers import last_code

    client.post("/", {"phone_number": phone})
    client.post("/code/", {"auth_code": last_code(phone)})
