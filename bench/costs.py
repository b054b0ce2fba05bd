"""What one request costs, counted on a real request: the inputs of docs/SCALING.md.

    python -m bench.costs            # a fresh database of BENCH_COSTS_USERS (100,000) users

For logins (send-code + verify-code), profiles and activations, through django.test.Client
(the whole middleware stack, production settings) against PostgreSQL and Redis: SQL
statements (Django's CaptureQueriesContext), rows written and transactions (pg_stat_database
of a database of its own), Redis commands (MONITOR on the run's Redis database: round trips
from the app, and the commands its Lua scripts run), and CPU per request, in this process
(time.process_time) and in its PostgreSQL backend (/proc/<pg_backend_pid()>/stat). Prints
JSON. Needs PostgreSQL and Redis on loopback, as the benchmark does.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import redis

from bench.fixture import read_code
from bench.run import app_environment, clear_redis, own_database, process_cpu_s
from bench.seed import Layout, invite_code, seed, verify


def service_options(parser: argparse.ArgumentParser, db: str) -> None:
    """--pg, --db (a database of the tool's own) and --redis, as the benchmark's."""
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--db", default=db)
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    service_options(parser, os.environ.get("BENCH_COSTS_DB", "bench_costs_db"))
    parser.add_argument(
        "--users", type=int, default=int(os.environ.get("BENCH_COSTS_USERS", "100000"))
    )
    parser.add_argument("-n", type=int, default=200, help="requests per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.prefix = "costs" + secrets.token_hex(3)  # its own Redis keys, cleared afterwards
    return args


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The benchmark server's settings (bench.run), quieter."""
    return {**app_environment(args), "LOG_LEVEL": "ERROR"}


class Monitor:
    """Redis MONITOR in a thread while counting: the commands run on one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = str(redis.Redis.from_url(url).connection_pool.connection_kwargs.get("db", 0))

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        counts: Counter[str] = Counter()
        lines: list[tuple[str, str]] = []
        ready, stop = threading.Event(), threading.Event()
        client = redis.Redis.from_url(self.url, socket_timeout=None)

        def watch() -> None:
            with client.monitor() as monitor:
                ready.set()
                for command in monitor.listen():
                    if stop.is_set():
                        return
                    if str(command.get("db")) == self.db:
                        lines.append((command.get("client_type", ""), command["command"]))

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        ready.wait(5)
        time.sleep(0.2)
        yield counts
        time.sleep(0.3)
        stop.set()
        redis.Redis.from_url(self.url).ping()  # wakes the watcher up
        thread.join(5)
        for source, command in lines:
            if "bench-sms" in command or command.upper() == "PING":
                continue  # the stand-in SMS gateway and the driver reading it, not the app
            name = command.split(" ", 1)[0].upper()
            counts[f"{'in Lua' if source == 'lua' else 'round trip'} {name}"] += 1


def run(name: str, call: Callable[[int], list[Any]], numbers: range) -> None:
    for n in numbers:
        statuses = [r.status_code for r in call(n)]
        assert statuses == [200] * len(statuses), (name, statuses)


def database_stats(dsn: str, db: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
            "WHERE datname = %s",
            [db],
        ).fetchone()
    assert row
    return dict(zip(("transactions", "inserted", "updated", "deleted"), row, strict=True))


def main() -> int:
    args = parse_args()
    os.environ.update(environment(args))
    with own_database(args, keep=args.keep):
        layout = Layout(users=args.users, referrals=1000, fresh=args.n * 2 + 10)
        dsn = f"{args.pg}/{args.db}"
        seed(dsn, layout)
        verify(dsn, layout)
        print(json.dumps(measure(args, layout, dsn), indent=2))
    return 0


def measure(args: argparse.Namespace, layout: Layout, dsn: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_redis import get_redis_connection

    from bench.sms import outbox_key
    from users.models import User
    from users.tokens import token_pair_issue

    tokens: dict[int, str] = {}

    def token(user_id: int) -> str:
        if user_id not in tokens:
            tokens[user_id] = token_pair_issue(user=User(id=user_id, password="!"))["access"]
        return tokens[user_id]

    for user_id in [
        *layout.pool("fresh"),
        *map(layout.child_id, range(layout.families)),
    ][: 4 * args.n + 20]:
        token(user_id)  # minted before any timing: the client's work, not the server's
    client = Client(SERVER_NAME="127.0.0.1")
    json_type = "application/json"
    phones = iter(range(9150000000, 9160000000))
    fresh = iter(layout.pool("fresh"))

    def profile(n: int) -> list[Any]:
        auth = f"Bearer {token(layout.child_id(n % layout.families))}"
        return [client.get("/api/profile/", HTTP_AUTHORIZATION=auth)]

    def login(n: int) -> list[Any]:
        phone = f"+7{next(phones)}"
        sent = client.post("/api/auth/send-code/", {"phone_number": phone}, content_type=json_type)
        code = read_code(get_redis_connection("default"), outbox_key(phone))
        done = client.post(
            "/api/auth/verify-code/",
            {"phone_number": phone, "auth_code": code},
            content_type=json_type,
        )
        return [sent, done]

    def activate(n: int) -> list[Any]:
        user_id = next(fresh)
        return [
            client.post(
                "/api/profile/invite/",
                {"invite_code": invite_code(layout.child_id(n % layout.families))},
                content_type=json_type,
                HTTP_AUTHORIZATION=f"Bearer {token(user_id)}",
            )
        ]

    monitor = Monitor(args.redis)
    results: dict[str, Any] = {"users": args.users, "requests_per_scenario": args.n}
    scenarios: dict[str, Callable[[int], list[Any]]] = {
        "login (send-code + verify-code)": login,
        "profile": profile,
        "activate": activate,
    }
    for name, call in scenarios.items():
        for n in range(3):  # warm up: connections, prepared statements, script cache
            assert all(r.status_code == 200 for r in call(n)), name
        with CaptureQueriesContext(connection) as queries:
            call(3)
        statements = Counter(q["sql"].split()[0].upper() for q in queries.captured_queries)
        # Pass 1: rows and transactions (PostgreSQL flushes a backend's statistics at most
        # once a second, hence the pauses) and Redis commands.
        time.sleep(1.1)
        connection.cursor().execute("SELECT 1")
        before = database_stats(dsn, args.db)
        with monitor.counting() as redis_ops:
            run(name, call, range(4, 4 + args.n))
        time.sleep(1.1)
        connection.cursor().execute("SELECT 1")
        after = database_stats(dsn, args.db)
        delta = {k: (after[k] - before[k]) / args.n for k in before}
        # Pass 2: CPU, with nothing else running in this process.
        backend = connection.connection.info.backend_pid
        cpu_pg = process_cpu_s(backend)
        started_cpu, started = time.process_time(), time.perf_counter()
        run(name, call, range(4 + args.n, 4 + 2 * args.n))
        cpu_app = time.process_time() - started_cpu
        wall = time.perf_counter() - started
        cpu_pg = process_cpu_s(backend) - cpu_pg
        results[name] = {
            "sql_statements": dict(statements),
            "sql_statements_total": sum(statements.values()),
            "transactions_committed": round(delta["transactions"], 2),
            "rows_written": round(delta["inserted"] + delta["updated"] + delta["deleted"], 2),
            "rows": {k: round(delta[k], 2) for k in ("inserted", "updated", "deleted")},
            "redis_commands": {k: round(v / args.n, 2) for k, v in sorted(redis_ops.items())},
            "redis_round_trips": round(
                sum(v for k, v in redis_ops.items() if k.startswith("round")) / args.n, 2
            ),
            "cpu_ms_app": round(cpu_app / args.n * 1000, 3),
            "cpu_ms_postgres_backend": round(cpu_pg / args.n * 1000, 3),
            "wall_ms": round(wall / args.n * 1000, 3),
        }
    memory = get_redis_connection("default")
    live = f"+7{next(phones)}"
    client.post("/api/auth/send-code/", {"phone_number": live}, content_type=json_type)
    results["redis_bytes"] = {
        kind: memory.memory_usage(key)
        for kind, key in (
            ("a live code (otp hash)", next(memory.scan_iter(match="*otp:*"), None)),
            ("a limit counter", next(memory.scan_iter(match="*limit:send_per_phone:*"), None)),
        )
        if key
    }
    clear_redis(args)
    return results


if __name__ == "__main__":
    sys.exit(main())
