"""The PostgreSQL backend's health check: no round trip for a quiet connection, a new
connection for one the server ended."""

import time
import uuid

import psycopg
import pytest
from django.db import connection

from .helpers import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _admin() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_quiet_connection_is_usable_without_a_round_trip() -> None:
    marker = f"SELECT 'quiet-{uuid.uuid4()}'"
    with connection.cursor() as cursor:
        cursor.execute(marker)
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute(marker)

    assert connection.is_usable()

    with _admin() as admin:
        last = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert last == (marker,)  # Django's check would have left "SELECT 1" there


def test_a_connection_the_server_ended_is_replaced_before_the_next_query() -> None:
    pid = _backend_pid()
    with _admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the goodbye is on its way to our socket

    assert not connection.is_usable()
    connection.health_check_done = False  # type: ignore[attr-defined]  # as a request starts
    assert connection.health_check_enabled  # type: ignore[attr-defined]
    assert _backend_pid() != pid  # the next query ran, on a new connection
