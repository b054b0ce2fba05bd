"""Django's PostgreSQL backend, with its connection health check sent only when it can matter.

``CONN_HEALTH_CHECKS`` makes Django send ``SELECT 1`` before the first query of every request,
so a connection a database restart broke is replaced instead of failing a request. Under
load that is one more round trip per request: a fifth of a granian worker's time on the
profile read (py-spy, bench/README.md). Here a connection that finished a request without
a database error less than ``TRUSTED_FOR`` seconds ago is not checked again: no database
restarts and accepts connections in that time, and any other failure (a killed backend, a
dropped socket) costs that one request a 503, after which Django closes the connection, as
it does without health checks. A connection idle for longer is checked as before.

``prepared_cursor()``: a cursor whose statements PostgreSQL parses and plans once per
connection (psycopg's server-side binding, prepared on first use), for the hottest read.
Django's cursors bind parameters on the client and prepare nothing (so that poolers in
transaction mode work), and for a short statement planning is most of PostgreSQL's work:
the profile statement took 0.133 ms a call unprepared and 0.066 ms prepared (pgbench,
bench/README.md). Only for statements whose generic plan is the right one whatever the
parameters (a test asserts the profile's); not behind a pooler in transaction mode.
"""

import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorWrapper

TRUSTED_FOR = 0.1  # seconds


class PreparedCursor(psycopg.Cursor[Any]):  # server-side binding
    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None
    ) -> Any:
        # Django turns psycopg's statement cache off (prepare_threshold None: nothing is ever
        # prepared, even when asked); on for this one call, prepared at once.
        connection = self.connection
        threshold = connection.prepare_threshold
        connection.prepare_threshold = 0
        try:
            return super().execute(query, params, prepare=True, binary=binary)
        finally:
            connection.prepare_threshold = threshold


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: Any, params: Any) -> Any:
        if isinstance(cursor, PreparedCursor):  # what Django logs for server-side binding
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _served_at = float("-inf")

    def prepared_cursor(self) -> CursorWrapper:
        """As ``cursor()`` (health check, error translation, query logging), but prepared."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = PreparedCursor(self.connection)
            return self._prepare_cursor(cursor)  # type: ignore[attr-defined,no-any-return]

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]
            and not self.health_check_done  # type: ignore[has-type]
            and time.monotonic() - self._served_at < TRUSTED_FOR
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as each request starts and ends. A query ran in the request that is ending
        # when the health check was done (or trusted) in it; none failed when no error is set.
        served = self.connection is not None and self.health_check_done
        served = served and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if served and self.connection is not None:
            self._served_at = time.monotonic()

    def close(self) -> None:
        super().close()
        self._served_at = float("-inf")
