"""The health check is skipped for a connection that served a request a moment ago."""

from typing import Any

import psycopg
import pytest
from django.db import OperationalError, ProgrammingError, connections

from referral_system.postgresql.base import TRUSTED_FOR
from referral_system.testing import ON_POSTGRES

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's backend: CI's second pass"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def conn(monkeypatch: pytest.MonkeyPatch):
    conn = connections["default"]
    conn.close()
    monkeypatch.setattr(conn, "health_check_enabled", True)
    conn.checks = []  # type: ignore[attr-defined]
    real = conn.is_usable

    def counted() -> bool:
        conn.checks.append(1)  # type: ignore[attr-defined]
        return real()

    monkeypatch.setattr(conn, "is_usable", counted)
    yield conn
    conn.close()


def request(conn, sql: str = "SELECT 2") -> None:
    """One request's database cycle: Django's start and end hooks around one query."""
    conn.close_if_unusable_or_obsolete()  # request_started
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close_if_unusable_or_obsolete()  # request_finished


def backend_pid(conn: Any) -> int:
    return conn.connection.info.backend_pid


def test_checked_when_idle_trusted_right_after_a_request(conn) -> None:
    request(conn)  # opens the connection: nothing to check
    assert conn.checks == []
    request(conn)
    request(conn)
    assert conn.checks == []  # each served the one before a moment ago
    conn._served_at -= TRUSTED_FOR  # idle for the trusted time
    request(conn)
    assert conn.checks == [1]
    request(conn)
    assert conn.checks == [1]


def test_after_a_database_error_the_connection_is_checked(conn) -> None:
    request(conn)
    with pytest.raises(ProgrammingError):
        request(conn, "SELECT FROM no_such_table")
    assert conn.checks == [1]  # Django's own check, as that request ended: it answered
    request(conn)
    assert conn.checks == [1]  # that check was a moment ago
    conn._served_at -= TRUSTED_FOR
    request(conn)
    assert conn.checks == [1, 1]


def test_a_connection_killed_within_the_trusted_time_fails_one_request(conn) -> None:
    """The trade-off, as documented: one 503-worthy error, then a new connection."""
    request(conn)
    pid = backend_pid(conn)
    settings = conn.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(OperationalError):
        request(conn)
    assert conn.connection is None  # closed as the request ended
    request(conn)  # a new connection
    assert backend_pid(conn) != pid
