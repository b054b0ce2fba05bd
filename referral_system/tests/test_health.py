"""/healthz answers while the process lives; /readyz names the service that is down."""

import socket

import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthz_answers_without_touching_any_service() -> None:
    # No database access is allowed in this test: a query would fail it.
    response = APIClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_get_only() -> None:
    assert APIClient().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_ok_when_database_and_cache_answer() -> None:
    response = APIClient().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_names_a_down_redis(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    response = APIClient().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "Not ready: cache unavailable.",
        "code": "not_ready",
        "down": ["cache"],
    }


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="closes and re-points the database connection: PostgreSQL only (CI's second pass)",
)
@pytest.mark.django_db(transaction=True)
def test_readyz_names_a_down_database(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connections["default"]
    conn.close()
    monkeypatch.setitem(conn.settings_dict, "PORT", str(_closed_port()))
    try:
        response = APIClient().get("/readyz")
    finally:
        conn.close()
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["code"] == "not_ready"
