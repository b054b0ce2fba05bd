"""Helpers for the test suites that need no app: which services this run has, threads
released together, and a clean Redis key space."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections

from core.limits import limit_key
from core.redis import redis_connection

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
ON_REDIS = settings.REDIS_SHARED

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL row locks; runs in .ci/run's PostgreSQL pass"
)


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
    redis_connection().delete(limit_key(rule, subject))
