"""Django's PostgreSQL backend, whose connection health check asks the socket first.

``CONN_HEALTH_CHECKS`` makes Django check a persistent connection before the first query of
every request, so one that a database restart broke is replaced instead of failing that
request. Django's check is a ``SELECT 1``: a second round trip on every request, which took
a third of the profile's throughput (bench/README.md, "Connection health check").

A server that ends a connection (restart, crash, ``pg_terminate_backend``, an idle timeout,
a pooler going away) says so on its socket: a closing message, then end of file. Between
requests nothing else arrives on ours (the app never LISTENs), so an idle connection whose
socket has nothing to read is as alive as the server can tell us without a round trip; one
with anything to read, or in any state but idle, gets Django's own ``SELECT 1``. What
neither check can see quickly, a peer that vanished without a word, fails the request with
a 503 and Django replaces the connection afterwards, as it does without health checks.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE or not hasattr(select, "poll"):
            return super().is_usable()
        poll = select.poll()
        poll.register(conn.fileno(), select.POLLIN)
        if poll.poll(0):  # something to read (a goodbye, end of file): ask the server
            return super().is_usable()
        return True
