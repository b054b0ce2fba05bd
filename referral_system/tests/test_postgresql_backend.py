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


def prepared(conn) -> list[tuple[str, int]]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return cursor.fetchall()


def test_a_prepared_cursor_prepares_once_per_connection_and_nothing_else(conn) -> None:
    for n in (1, 2, 3):
        with conn.prepared_cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [n])
            assert cursor.fetchone() == (n + 1,)
    with conn.cursor() as cursor:  # Django's own cursors: client-side binding, never prepared
        for _ in range(10):
            cursor.execute("SELECT %s::int + 2", [1])
    assert prepared(conn) == [("SELECT $1::int + 1", 3)]
    assert conn.connection.prepare_threshold is None


def test_after_a_rollback_the_statement_is_prepared_again(conn) -> None:
    with conn.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [1])
    conn.set_autocommit(False)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
    conn.rollback()  # psycopg forgets its prepared statements on rollback (DEALLOCATE ALL)
    conn.set_autocommit(True)
    with conn.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
    assert prepared(conn) == [("SELECT $1::int + 1", 1)]


def test_a_prepared_cursor_raises_djangos_errors_and_logs_its_queries(conn) -> None:
    from django.test.utils import CaptureQueriesContext

    with pytest.raises(ProgrammingError), conn.prepared_cursor() as cursor:
        cursor.execute("SELECT FROM no_such_table WHERE 1 = %s", [1])
    with CaptureQueriesContext(conn) as queries, conn.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [7])
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 7::int"]
