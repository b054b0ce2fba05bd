"""The benchmark: seed, serve with production settings, drive each scenario, report.

    python -m bench.run          # full scale (make bench)
    python -m bench.run --ci     # small data, a few seconds per scenario (make bench-ci)

Exits non-zero on any 5xx, any other unexpected status or any socket error; never on speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.seed import Layout, invite_code, seed, verify

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
LOTS = "1000000000"  # a rate limit no run can reach
SCENARIOS = (
    "floor",
    "profile",
    "profile_100k",
    "referrals_deep",
    "send_code",
    "login",
    "activate",
)
SEND_PHONE_BASE = 9120000000  # +7 912 ...: distinct from the seeded +7 900 ...
LOGIN_PHONE_BASE = 9130000000
QUERY_PHONE_BASE = 9140000000
DEFAULT_SERVER = "gunicorn-gthread"
FLOOR_FALLBACK = "/api/bench-floor/"  # unrouted: answered by handler404, through all middleware


# Python threads per worker process for gunicorn gthread; granian runs with each of
# GRANIAN_THREADS (it warns above 2 x cores + 1): with the database round trip of the
# profile, fewer threads per process mean less contention for each process's GIL.
THREADS = 4
GRANIAN_THREADS = (4, 2, 1)


def servers(port: int) -> dict[str, list[str]]:
    """The WSGI servers compared, each sized for this 2-core machine (2 workers, or 5 sync)."""
    app = "referral_system.wsgi:application"
    bind = f"127.0.0.1:{port}"
    gunicorn = [str(BIN / "gunicorn"), app, "--config", "python:bench.gunicorn_conf"]
    gunicorn += ["--bind", bind, "--no-control-socket"]
    granian = [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1"]
    granian += ["--port", str(port), "--workers", "2", "--no-ws"]
    return {
        "gunicorn-sync": [*gunicorn, "--worker-class", "sync", "--workers", "5"],
        "gunicorn-gthread": [
            *gunicorn,
            "--worker-class",
            "gthread",
            "--workers",
            "2",
            "--threads",
            str(THREADS),
        ],
        **{
            f"granian-2x{threads}": [*granian, "--blocking-threads", str(threads), app]
            for threads in GRANIAN_THREADS
        },
    }


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0
    s5xx: int = 0
    socket_errors: int = 0
    queries: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ci", action="store_true", help="small data, short scenarios")
    parser.add_argument("--users", type=int)
    parser.add_argument("--referrals", type=int, help="referrals of the popular user")
    parser.add_argument("--fresh", type=int, help="fresh users for the activate scenario")
    parser.add_argument("--duration", type=int, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--server", help="server for the scenarios (default: the fastest on the profile)"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the server comparison")
    parser.add_argument(
        "--read-rounds", type=int, help="rounds the four reads' duration is split into"
    )
    parser.add_argument(
        "--compare",
        default="gunicorn-sync,gunicorn-gthread,granian-2x4,granian-2x2,granian-2x1",
        help="servers compared on the profile scenario ('' for none)",
    )
    parser.add_argument("--port", type=int)
    parser.add_argument("--db", help="database name (dropped and created)")
    parser.add_argument("--out", type=Path, help="JSON results file")
    args = parser.parse_args()
    ci = args.ci
    defaults = {
        "users": 20_000 if ci else 1_000_000,
        "referrals": 5_000 if ci else 100_000,
        "fresh": 3_000 if ci else 20_000,
        "duration": 3 if ci else 10,
        "rounds": 1 if ci else 2,
        "read_rounds": 1 if ci else 4,
        "port": int(os.environ.get("BENCH_PORT", 18301 if ci else 18300)),
        "db": "bench_ci_db" if ci else "bench_db",
        "out": BENCH / "results" / ("ci.json" if ci else "latest.json"),
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.prefix = os.environ.get("BENCH_CACHE_PREFIX", "benchci" if ci else "bench")
    args.pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    args.redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    return args


def app_environment(args: argparse.Namespace) -> dict[str, str]:
    """Production settings on loopback: real secrets, DEBUG off, limits out of reach."""
    return {
        "DJANGO_SETTINGS_MODULE": "referral_system.settings.production",
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "SECURE_SSL_REDIRECT": "False",  # plain http on loopback
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{args.pg}/{args.db}",
        "REDIS_URL": args.redis,
        "CACHE_KEY_PREFIX": args.prefix,
        "SMS_BACKEND": "bench.sms.RedisOutboxBackend",
        "AUTH_SEND_PER_IP_HOUR": LOTS,
        "AUTH_VERIFY_PER_IP_HOUR": LOTS,
        "SMS_DAILY_BUDGET": LOTS,
        "SMS_DAILY_BUDGET_PER_NETWORK": LOTS,
        "SMS_DAILY_BUDGET_PER_PREFIX": LOTS,
        "AUTH_CODE_SENDS_PER_PHONE_HOUR": LOTS,
        "AUTH_CODE_FAILURES_PER_PHONE_HOUR": LOTS,
        "INVITE_FAILURES_PER_USER_HOUR": LOTS,
        "INVITE_FAILURES_PER_IP_HOUR": LOTS,
        "JWT_ACCESS_LIFETIME": "7200",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def say(text: str) -> None:
    print(text, flush=True)


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench: wrk is missing; install it with `apt-get install -y wrk`.")
    return wrk


def recreate_database(args: argparse.Namespace) -> None:
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db}"')


def drop_database(args: argparse.Namespace) -> None:
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


def clear_redis(args: argparse.Namespace) -> None:
    import redis

    client = redis.Redis.from_url(args.redis)
    keys = list(client.scan_iter(match=f"{args.prefix}:*", count=5000))
    for start in range(0, len(keys), 5000):
        client.delete(*keys[start : start + 5000])


# --- the server ------------------------------------------------------------------------------


class Server:
    """One WSGI server process group on loopback, its output in bench/results/<name>.log."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.command, self.port = name, command, port
        log_path = BENCH / "results" / f"server-{name}.log"
        self.log = log_path.open("w")
        port_free(port)
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(log_path)

    def wait_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: {self.name} exited; see {log_path}")
            try:
                status, _ = http_get(self.port, "/api/bench-ready/")
                if status == 404:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"bench: {self.name} did not answer in 60 s; see {log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def port_free(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"bench: port {port} is taken; set BENCH_PORT") from None


def http_get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- load ------------------------------------------------------------------------------------


def run_wrk(
    args: argparse.Namespace,
    script: str,
    path: str,
    env: dict[str, str],
    duration: float | None = None,
) -> Result:
    seconds = duration if duration is not None else args.duration
    command = [
        require_wrk(),
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk" / script),
        f"http://127.0.0.1:{args.port}{path}",
    ]
    run_env = {
        **os.environ,
        "BENCH_LUA_DIR": str(BENCH / "wrk"),
        "BENCH_WRK_THREADS": str(args.wrk_threads),
        **env,
    }
    out = subprocess.run(command, env=run_env, capture_output=True, text=True, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=data["non_2xx"],
        s5xx=data["s5xx"],
        socket_errors=sum(
            data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        extra={"s4xx": data["s4xx"]},
    )


def drive_login(args: argparse.Namespace, outbox: Any) -> Result:
    """Whole logins (send-code, read the code, verify-code) from one thread per connection.

    wrk cannot see a code the server sent; these threads read it from the bench SMS outbox.
    One login is two HTTP requests; its latency includes the outbox read (one Redis GET).
    """
    import redis

    client = redis.Redis.from_url(args.redis)
    deadline = time.perf_counter() + args.duration
    latencies: list[list[float]] = [[] for _ in range(args.connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(args.connections)]
    socket_errors = [0] * args.connections

    failed: list[str] = []

    def post(conn: http.client.HTTPConnection, path: str, body: dict[str, str]) -> int:
        conn.request(
            "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        content = response.read()
        if response.status != 200 and len(failed) < 5:
            failed.append(f"{path} {body} -> {response.status} {content[:200]!r}")
        return response.status

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            phone = f"+7{LOGIN_PHONE_BASE + n * 100_000 + count}"
            started = time.perf_counter()
            try:
                sent = post(conn, "/api/auth/send-code/", {"phone_number": phone})
                statuses[n][sent] += 1
                if sent != 200:
                    continue
                text = client.get(outbox(phone)) or b""
                code = re.search(rb"\d{6}", text)
                verified = post(
                    conn,
                    "/api/auth/verify-code/",
                    {"phone_number": phone, "auth_code": code.group().decode() if code else ""},
                )
            except (OSError, http.client.HTTPException):
                socket_errors[n] += 1
                conn.close()
                continue
            statuses[n][verified] += 1
            if verified == 200:
                latencies[n].append(time.perf_counter() - started)
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    every = sorted(x for per in latencies for x in per)
    total: Counter[int] = sum(statuses, Counter())
    return Result(
        requests=len(every),
        seconds=seconds,
        p50_ms=percentile(every, 50) * 1000,
        p99_ms=percentile(every, 99) * 1000,
        non_2xx=sum(v for k, v in total.items() if not 200 <= k <= 299),
        s5xx=sum(v for k, v in total.items() if k >= 500),
        socket_errors=sum(socket_errors),
        extra={
            "http_requests": sum(total.values()),
            "statuses": {str(k): v for k, v in sorted(total.items())},
            **({"failed_samples": failed} if failed else {}),
        },
    )


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- in-process: tokens, the deep cursor, queries per request ------------------------------


@dataclass
class Fixture:
    floor_path: str
    floor_status: int
    profile_token: str
    popular_token: str
    deep_path: str
    activate_file: Path
    queries: dict[str, float]
    cpu_ms: dict[str, float]


def prepare(args: argparse.Namespace, layout: Layout, workdir: Path) -> Fixture:
    """Mint tokens and the deep cursor, and count each scenario's queries with Django's own
    CaptureQueriesContext, through the test client (the whole middleware stack)."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.sms import outbox_key
    from referrals.selectors import Referral, cursor_after
    from users.models import User
    from users.tokens import token_pair_issue

    def token(user_id: int) -> str:  # the access token of a new session of the user
        return token_pair_issue(user=User(id=user_id, password="!"))["access"]

    profile_id = layout.child_id(0)
    popular = User.objects.get(pk=layout.popular_id)
    depth = int(layout.referrals * 0.9)
    newest_first = User.objects.filter(invited_by=popular).order_by("-invited_at", "-id")
    before = newest_first.values_list("phone_number", "invited_at", "id")[depth - 1]
    deep_path = "/api/profile/referrals/?cursor=" + cursor_after(Referral(*before))

    # The activation pool, less its last user, which the query count below activates.
    activate_file = workdir / "activate.txt"
    pool = range(layout.fresh_start, layout.users)
    with activate_file.open("w") as out:
        for n, user_id in enumerate(pool):
            target = layout.child_id(n % layout.families)
            out.write(f"{token(user_id)} {invite_code(target)}\n")

    client = Client(SERVER_NAME="127.0.0.1")
    json_type = "application/json"

    def counted(label: str, expected: int, call: Any) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        if response.status_code != expected:
            raise SystemExit(
                f"bench: {label} answered {response.status_code}, not {expected}: "
                f"{response.content[:300]!r}"
            )
        return len(ctx.captured_queries), response

    client.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {token(profile_id)}")  # warm up
    floor_path, floor_status = FLOOR_FALLBACK, 404
    for candidate in ("/healthz", "/healthz/"):
        if client.get(candidate).status_code == 200:
            floor_path, floor_status = candidate, 200
            break
    queries: dict[str, float] = {}
    queries["floor"], _ = counted("floor", floor_status, lambda: client.get(floor_path))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token(profile_id)}"}
    queries["profile"], body = counted("profile", 200, lambda: client.get("/api/profile/", **auth))
    if body.json()["referrals_count"] != 3 or body.json()["activated_invite_code"] is None:
        raise SystemExit(f"bench: the ordinary profile is not as seeded: {body.json()}")
    big = {"HTTP_AUTHORIZATION": f"Bearer {token(layout.popular_id)}"}
    queries["profile_100k"], body = counted(
        "profile_100k", 200, lambda: client.get("/api/profile/", **big)
    )
    if body.json()["referrals_count"] != layout.referrals:
        raise SystemExit(f"bench: the popular profile is not as seeded: {body.json()}")
    queries["referrals_deep"], body = counted(
        "referrals_deep", 200, lambda: client.get(deep_path, **big)
    )
    first = body.json()["results"][0]["phone_number"]
    expected_first = newest_first.values_list("phone_number", flat=True)[depth]
    if first != expected_first:
        raise SystemExit(f"bench: the deep page starts at {first}, not {expected_first}")
    # CPU per request in this process, best of 3 x 100: less swayed by background load than
    # req/s, it shows what each read costs beside the floor without any server around it.
    cpu_ms: dict[str, float] = {}
    for name, path, extra in (
        ("floor", floor_path, {}),
        ("profile", "/api/profile/", auth),
        ("profile_100k", "/api/profile/", big),
        ("referrals_deep", deep_path, big),
    ):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(100):
                client.get(path, **extra)
            best = min(best, (time.process_time() - started) / 100 * 1000)
        cpu_ms[name] = round(best, 3)
    send = {"phone_number": f"+7{QUERY_PHONE_BASE + 1}"}
    queries["send_code"], _ = counted(
        "send_code",
        200,
        lambda: client.post("/api/auth/send-code/", send, content_type=json_type),
    )
    login_phone = f"+7{QUERY_PHONE_BASE + 2}"
    sent_queries, _ = counted(
        "login send",
        200,
        lambda: client.post(
            "/api/auth/send-code/", {"phone_number": login_phone}, content_type=json_type
        ),
    )
    from django_redis import get_redis_connection

    text = get_redis_connection("default").get(outbox_key(login_phone)) or b""
    code = re.search(rb"\d{6}", text)
    verify_queries, _ = counted(
        "login verify",
        200,
        lambda: client.post(
            "/api/auth/verify-code/",
            {"phone_number": login_phone, "auth_code": code.group().decode() if code else ""},
            content_type=json_type,
        ),
    )
    queries["login"] = sent_queries + verify_queries
    spare = layout.users
    activate_body = {"invite_code": invite_code(layout.child_id(layout.families - 1))}
    queries["activate"], _ = counted(
        "activate",
        200,
        lambda: client.post(
            "/api/profile/invite/",
            activate_body,
            content_type=json_type,
            HTTP_AUTHORIZATION=f"Bearer {token(spare)}",
        ),
    )
    connection.close()
    return Fixture(
        floor_path=floor_path,
        floor_status=floor_status,
        profile_token=token(profile_id),
        popular_token=token(layout.popular_id),
        deep_path=deep_path,
        activate_file=activate_file,
        queries=queries,
        cpu_ms=cpu_ms,
    )


def count_activations(args: argparse.Namespace, layout: Layout) -> int:
    with psycopg.connect(f"{args.pg}/{args.db}") as conn:
        row = conn.execute(
            "SELECT count(*) FROM users_user WHERE id >= %s AND invited_by_id IS NOT NULL",
            [layout.fresh_start],
        ).fetchone()
    return int(row[0]) if row else 0


def compare_servers(
    args: argparse.Namespace,
    names: list[str],
    commands: dict[str, list[str]],
    app_env: dict[str, str],
    token: dict[str, str],
) -> dict[str, Result]:
    """The profile scenario on each server, in rounds of alternating order (A B C, C B A ...)
    so a change in the machine's background load does not favour whoever ran first."""
    rounds: dict[str, list[Result]] = {name: [] for name in names}
    for n in range(args.rounds):
        for name in names if n % 2 == 0 else list(reversed(names)):
            server = Server(name, commands[name], app_env, args.port)
            try:
                run_wrk(args, "get.lua", "/api/profile/", token, duration=2)  # warm up
                rounds[name].append(run_wrk(args, "get.lua", "/api/profile/", token))
            finally:
                server.stop()
            say(f"  {name}: {rounds[name][-1].rps:.1f} req/s on the profile")
    return {name: combined(results) for name, results in rounds.items()}


def combined(results: list[Result]) -> Result:
    """Rounds of one scenario as one result: all their requests over all their seconds,
    latencies averaged, every error counted; each round's rate kept in ``rounds_rps``."""
    return Result(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=sum(r.p50_ms for r in results) / len(results),
        p99_ms=sum(r.p99_ms for r in results) / len(results),
        non_2xx=sum(r.non_2xx for r in results),
        s5xx=sum(r.s5xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        extra={
            "rounds_rps": [round(r.rps, 1) for r in results],
            "s4xx": sum(r.extra.get("s4xx", 0) for r in results),
        },
    )


READS = ("floor", "profile", "profile_100k", "referrals_deep")


def run_reads(args: argparse.Namespace, fixture: Fixture) -> dict[str, Result]:
    """The four reads in rounds of alternating order (A B C D, D C B A ...), ``duration``
    seconds in all per read: the ratios compare reads that met the same bursts of
    background load, not ones run a minute apart."""
    requests = {
        "floor": (fixture.floor_path, {}),
        "profile": ("/api/profile/", {"BENCH_TOKEN": fixture.profile_token}),
        "profile_100k": ("/api/profile/", {"BENCH_TOKEN": fixture.popular_token}),
        "referrals_deep": (fixture.deep_path, {"BENCH_TOKEN": fixture.popular_token}),
    }
    seconds = max(1, args.duration // args.read_rounds)
    rounds: dict[str, list[Result]] = {name: [] for name in READS}
    for n in range(args.read_rounds):
        for name in READS if n % 2 == 0 else tuple(reversed(READS)):
            path, env = requests[name]
            rounds[name].append(run_wrk(args, "get.lua", path, env, duration=seconds))
    return {name: combined(results) for name, results in rounds.items()}


def run_scenarios(
    args: argparse.Namespace,
    layout: Layout,
    fixture: Fixture,
    command: list[str],
    name: str,
    app_env: dict[str, str],
) -> dict[str, Result]:
    """Every scenario, one after another, against one server started for them."""
    from bench.sms import outbox_key

    results: dict[str, Result] = {}
    token = {"BENCH_TOKEN": fixture.profile_token}
    big = {"BENCH_TOKEN": fixture.popular_token}
    server = Server(name, command, app_env, args.port)
    try:
        run_wrk(args, "get.lua", "/api/profile/", token, duration=2)  # warm every worker
        run_wrk(args, "get.lua", fixture.deep_path, big, duration=1)
        results.update(run_reads(args, fixture))
        results["send_code"] = run_wrk(
            args,
            "send_code.lua",
            "/api/auth/send-code/",
            {"BENCH_PHONE_BASE": str(SEND_PHONE_BASE)},
        )
        results["login"] = drive_login(args, outbox_key)
        results["activate"] = run_wrk(
            args,
            "activate.lua",
            "/api/profile/invite/",
            {"BENCH_ACTIVATE_FILE": str(fixture.activate_file)},
        )
        # The query count activated the pool's last user; the rest are the scenario's.
        results["activate"].extra["activations"] = count_activations(args, layout) - 1
    finally:
        server.stop()
    return results


# --- the report ------------------------------------------------------------------------------


def machine(args: argparse.Namespace) -> dict[str, Any]:
    from importlib.metadata import version

    import redis

    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(f"{args.pg}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    wrk_version = subprocess.run(
        [require_wrk(), "--version"], capture_output=True, text=True, check=False
    ).stdout.split("[")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": row[0] if row else "unknown",
        "redis": redis.Redis.from_url(args.redis).info("server")["redis_version"],
        "wrk": wrk_version.strip(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "granian": version("granian"),
    }


def command_line(command: list[str]) -> str:
    return " ".join([Path(command[0]).name, *command[1:]])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def row(r: Result, floor_rps: float) -> dict[str, Any]:
    return {
        "rps": round(r.rps, 1),
        "p50_ms": round(r.p50_ms, 2),
        "p99_ms": round(r.p99_ms, 2),
        "non_2xx": r.non_2xx,
        "queries_per_request": r.queries,
        "ratio_to_floor": round(r.rps / floor_rps, 3) if floor_rps else None,
        "requests": r.requests,
        "s5xx": r.s5xx,
        "socket_errors": r.socket_errors,
        **r.extra,
    }


def table(rows: dict[str, dict[str, Any]]) -> str:
    head = (
        f"{'scenario':<16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'queries':>9}"
        f"{'x floor':>9}{'cpu ms':>9}"
    )
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        ratio = "" if r.get("ratio_to_floor") is None else f"{r['ratio_to_floor']:.2f}"
        queries = "" if r.get("queries_per_request") is None else f"{r['queries_per_request']:g}"
        cpu = f"{r['cpu_ms_in_process']:.2f}" if "cpu_ms_in_process" in r else ""
        lines.append(
            f"{name:<16}{r['rps']:>9.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['non_2xx']:>9}{queries:>9}{ratio:>9}{cpu:>9}"
        )
    return "\n".join(lines)


def targets(rows: dict[str, dict[str, Any]], all_rows: list[dict[str, Any]]) -> dict[str, Any]:
    floor, profile, big = rows["floor"]["rps"], rows["profile"]["rps"], rows["profile_100k"]["rps"]
    checks = {
        "profile >= 50% of floor req/s": (profile / floor if floor else 0, 0.5),
        "profile_100k >= 90% of profile req/s": (big / profile if profile else 0, 0.9),
        "profile p99 < 50 ms": (rows["profile"]["p99_ms"], 50.0),
        "zero 5xx": (sum(r["s5xx"] for r in all_rows), 0),
    }
    out = {}
    for name, (value, goal) in checks.items():
        met = value < goal if "p99" in name else value == goal if "5xx" in name else value >= goal
        out[name] = {"value": round(value, 3), "target": goal, "met": met}
    return out


def main() -> int:
    args = parse_args()
    os.chdir(ROOT)
    (BENCH / "results").mkdir(exist_ok=True)
    require_wrk()
    app_env = app_environment(args)
    os.environ.update(app_env)
    layout = Layout(users=args.users, referrals=args.referrals, fresh=args.fresh)
    layout.check()
    started_at = datetime.now(UTC)
    load_before = load_average()
    say(f"bench: {args.users:,} users, one with {args.referrals:,} referrals; db {args.db}")

    recreate_database(args)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **app_env},
        check=True,
    )
    if not (ROOT / "staticfiles").is_dir():  # as a production image has: WhiteNoise indexes it
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **app_env},
            check=True,
        )
    dsn = f"{args.pg}/{args.db}"
    seconds = seed(dsn, layout)
    verify(dsn, layout)
    say(f"seeded {args.users:,} users in {seconds:.1f} s (COPY, then VACUUM ANALYZE)")
    clear_redis(args)

    failures: list[str] = []
    server_commands = servers(args.port)
    compare = [n for n in args.compare.split(",") if n]
    for name in [*compare, *([args.server] if args.server else [])]:
        if name not in server_commands:
            raise SystemExit(f"bench: unknown server {name!r}; one of {', '.join(server_commands)}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        fixture = prepare(args, layout, Path(tmp))
        token = {"BENCH_TOKEN": fixture.profile_token}
        compared = compare_servers(args, compare, server_commands, app_env, token)
        chosen = args.server or (
            max(compared, key=lambda n: compared[n].rps) if compared else DEFAULT_SERVER
        )
        say(f"scenarios on {chosen}")
        results = run_scenarios(args, layout, fixture, server_commands[chosen], chosen, app_env)

    for name, result in results.items():
        result.queries = fixture.queries[name]
        if name in fixture.cpu_ms:
            result.extra["cpu_ms_in_process"] = fixture.cpu_ms[name]
    floor_rps = results["floor"].rps
    rows = {name: row(results[name], floor_rps) for name in SCENARIOS}
    server_rows = {name: row(r, floor_rps) for name, r in compared.items()}
    for name, r in [*results.items(), *(("server " + n, r) for n, r in compared.items())]:
        if name == "floor" and fixture.floor_status == 404:  # the fallback floor: 404 by design
            if r.s5xx or r.non_2xx != r.requests or r.extra.get("s4xx") != r.requests:
                failures.append(f"{name}: statuses other than 404")
        elif r.non_2xx:
            failures.append(f"{name}: {r.non_2xx} non-2xx responses ({r.s5xx} of them 5xx)")
        if r.socket_errors:
            failures.append(f"{name}: {r.socket_errors} socket errors or timeouts")
    goals = targets(rows, [*rows.values(), *server_rows.values()])
    fastest = max(server_rows, key=lambda n: server_rows[n]["rps"]) if server_rows else None
    report = {
        "machine": machine(args),
        "run": {
            "command": "make bench-ci" if args.ci else "make bench",
            "started_at": started_at.isoformat(timespec="seconds"),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "users": args.users,
            "popular_referrals": args.referrals,
            "fresh_users": args.fresh,
            "seed_seconds": round(seconds, 1),
            "duration_s": args.duration,
            "read_rounds": args.read_rounds,
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
            "server": chosen,
            "server_command": command_line(server_commands[chosen]),
            "floor_path": fixture.floor_path,
            "floor_status": fixture.floor_status,
        },
        "scenarios": rows,
        "servers_on_profile": {
            "results": server_rows,
            "fastest": fastest,
            "commands": {n: command_line(server_commands[n]) for n in server_rows},
        },
        "targets": goals,
        "failures": failures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    say("")
    say(table(rows))
    if server_rows:
        say("\nprofile scenario by server")
        say(table(server_rows).replace("scenario", "server  "))
        say(f"fastest: {fastest}")
    say("\ntargets")
    for name, goal in goals.items():
        say(f"  {'met    ' if goal['met'] else 'NOT met'}  {name}: {goal['value']}")
    say(
        f"\nfloor: GET {fixture.floor_path} ({fixture.floor_status}); "
        f"{args.connections} connections, {args.duration:g} s per scenario; "
        f"server {chosen}; load average before/after: {load_before} / {load_average()}"
    )
    say(f"written: {os.path.relpath(args.out, ROOT)}")
    clear_redis(args)
    if args.ci:
        drop_database(args)
    if failures:
        say("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
