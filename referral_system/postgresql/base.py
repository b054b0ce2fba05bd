"""Django's PostgreSQL backend, with its connection health check sent only when it can matter.

``CONN_HEALTH_CHECKS`` makes Django send ``SELECT 1`` before the first query of every request,
so a connection a database restart broke is replaced instead of failing a request. Under
load that is one more round trip per request: a fifth of a granian worker's time on the
profile read (py-spy, bench/README.md). Here a connection that finished a request without
a database error less than ``TRUSTED_FOR`` seconds ago is not checked again: no database
restarts and accepts connections in that time, and any other failure (a killed backend, a
dropped socket) costs that one request a 503, after which Django closes the connection, as
it does without health checks. A connection idle for longer is checked as before.
"""

import time

from django.db.backends.postgresql import base

TRUSTED_FOR = 0.1  # seconds


class DatabaseWrapper(base.DatabaseWrapper):
    _served_at = float("-inf")

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
