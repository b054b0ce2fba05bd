"""Helpers for the test suites: authenticated clients and threads released together."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from users.models import User
from users.tokens import token_pair_issue

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_REDIS = bool(settings.REDIS_URL)

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
