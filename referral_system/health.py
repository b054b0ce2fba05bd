"""Probes for orchestrators: /healthz (the process answers) and /readyz (its services answer)."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # any failure means "not ready", whatever the driver raised
        logger.warning("readyz: database unavailable: %s", type(exc).__name__)
        return False


def _cache_ok() -> bool:
    try:
        cache.set("readyz", "1", timeout=10)
        return cache.get("readyz") == "1"
    except Exception as exc:
        logger.warning("readyz: cache unavailable: %s", type(exc).__name__)
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the process can answer at all; touches no other service."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the cache (Redis) answer; 503 naming what is down otherwise."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    down = [name for name, ok in checks.items() if not ok]
    if down:
        return JsonResponse(
            {
                "detail": f"Not ready: {', '.join(down)} unavailable.",
                "code": "not_ready",
                "down": down,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": {name: "ok" for name in checks}})
