"""The benchmark: seed, serve with production settings, drive each scenario, report.

    python -m bench.run          # full scale (make bench)
    python -m bench.run --ci     # small data, a few seconds per scenario (make bench-ci)

What is measured is data in bench/scenarios.py. Exits non-zero on any status a scenario does
not expect (so on every 5xx) or any socket error; never on speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path

import psycopg
import redis

from bench.fixture import Fixture, prepare, read_code
from bench.report import Result, load_average, machine, report, summary
from bench.scenarios import (
    FLOOR,
    IMAGE_SERVER,
    POOLS,
    PROFILE,
    SCENARIOS,
    SERVERS,
    SIZES,
    WSGI_APP,
    Member,
    Scenario,
    first_request,
    server_command,
    then_request,
)
from bench.seed import Layout, seed, verify

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LOTS = "1000000000"  # a rate limit no run can reach
WRK = shutil.which("wrk") or ""
JSON = {"Content-Type": "application/json"}
Statuses = tuple[int, ...]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--ci", action="store_true", help="small data, short scenarios")
    for name, (ci, full, about) in SIZES.items():
        flag, kind = f"--{name.replace('_', '-')}", type(full)
        parser.add_argument(flag, type=kind, help=f"{about} ({full}; with --ci {ci})")
    parser.add_argument(
        "--server",
        default=IMAGE_SERVER,
        help=f"granian's shape for the scenarios (default: the Docker image's, {IMAGE_SERVER})",
    )
    parser.add_argument(
        "--compare", default=",".join(SERVERS), help="shapes compared on the profile ('' for none)"
    )
    parser.add_argument("--out", type=Path, help="JSON results file")
    args = parser.parse_args()
    for name, values in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, values[0] if args.ci else values[1])
    args.compare = [name for name in args.compare.split(",") if name]
    for name in [*args.compare, args.server]:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; one of {', '.join(SERVERS)}")
    args.out = args.out or BENCH / "results" / ("ci.json" if args.ci else "latest.json")
    args.prefix = os.environ.get("BENCH_CACHE_PREFIX", "benchci" if args.ci else "bench")
    args.pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    args.redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    return args


def app_environment(args: argparse.Namespace) -> dict[str, str]:
    """Production settings on loopback: real secrets, DEBUG off, limits out of reach."""
    limits = (
        "AUTH_SEND_PER_IP_HOUR AUTH_VERIFY_PER_IP_HOUR SMS_DAILY_BUDGET "
        "SMS_DAILY_BUDGET_PER_NETWORK SMS_DAILY_BUDGET_PER_PREFIX "
        "AUTH_CODE_SENDS_PER_PHONE_HOUR AUTH_CODE_FAILURES_PER_PHONE_HOUR "
        "INVITE_FAILURES_PER_USER_HOUR INVITE_FAILURES_PER_IP_HOUR"
    )
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
        **dict.fromkeys(limits.split(), LOTS),
        "JWT_ACCESS_LIFETIME": "7200",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def manage(*command: str) -> None:
    subprocess.run([sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, check=True)


def drop_database(args: argparse.Namespace, create: bool = False) -> None:
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{args.db}"')


def fresh_database(args: argparse.Namespace) -> None:
    """``args.db`` created anew and migrated, the static files collected as an image has
    them (WhiteNoise indexes them at start)."""
    drop_database(args, create=True)
    manage("migrate", "--noinput")
    if not (ROOT / "staticfiles").is_dir():
        manage("collectstatic", "--noinput")


@contextmanager
def own_database(args: argparse.Namespace, keep: bool = False) -> Iterator[None]:
    """A fresh database for the block, dropped afterwards unless ``keep``."""
    fresh_database(args)
    try:
        yield
    finally:
        if not keep:
            from django.db import connections

            connections.close_all()
            drop_database(args)


def clear_redis(args: argparse.Namespace) -> None:
    client = redis.Redis.from_url(args.redis)
    keys = list(client.scan_iter(match=f"{args.prefix}:*", count=5000))
    for start in range(0, len(keys), 5000):
        client.delete(*keys[start : start + 5000])


TICKS = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name: state, ppid, pgrp ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def stat_cpu_s(stat: list[str]) -> float:
    return (int(stat[11]) + int(stat[12])) / TICKS  # utime, stime


def process_cpu_s(pid: int) -> float:
    """CPU seconds one process (a PostgreSQL backend, say) has used so far."""
    return stat_cpu_s(proc_stat(pid))


def processes_cpu_s(args: argparse.Namespace) -> dict[tuple[str, int], float]:
    """CPU seconds used so far by each of the server's processes (its process group), the
    run database's PostgreSQL backends and Redis (all of it: the machine's one Redis
    server), by kind and pid: with wrk's, where a scenario's CPU goes under load."""
    used = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = proc_stat(entry.name)
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except (OSError, IndexError):  # not a process, or one that just ended
            continue
        if int(stat[2]) == args.server_group:  # the process group serving() started
            kind = "server"
        elif title.startswith("postgres: ") and f" {args.db} " in title:
            kind = "postgres"
        elif title.startswith("redis-server"):
            kind = "redis"
        else:
            continue
        used[kind, int(entry.name)] = stat_cpu_s(stat)
    return used


def cpu_between(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
) -> dict[str, float]:
    """CPU seconds per kind between two readings. A process that ended in between (a
    database connection closed) is left out: what it used since ``before`` is lost."""
    spent = {"server": 0.0, "postgres": 0.0, "redis": 0.0}
    for (kind, pid), seconds in after.items():
        spent[kind] += seconds - before.get((kind, pid), 0.0)
    return spent


def children_cpu_s() -> float:
    times = os.times()
    return times.children_user + times.children_system


@contextmanager
def serving(args: argparse.Namespace, name: str, app: str = WSGI_APP) -> Iterator[None]:
    """One WSGI server on loopback for the block, its output in results/server-<name>.log."""
    port = args.port
    program, *options = shlex.split(server_command(name, port, app))
    log = BENCH / "results" / f"server-{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / program), *options],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    args.server_group = process.pid
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://127.0.0.1:{port}{FLOOR.path}"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: {name} did not answer; see {log}")
            time.sleep(0.2)
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):
        return False


def run(args: argparse.Namespace, s: Scenario, fx: Fixture, seconds: int) -> Result:
    """One scenario for ``seconds``: wrk with bench/wrk/scenario.lua, or the two-step driver."""
    if s.then:
        return drive_two_step(args, s, fx.pools.get(s.user or ""), seconds, outbox_reader(args))
    with tempfile.NamedTemporaryFile("w", prefix="bench-", suffix=".txt") as requests:
        if s.user in POOLS:  # a line per user; wrk's script fills "<n>"
            lines = (f"{m.token}\t{first_request(s, m, '<n>')[0]}\n" for m in fx.pools[s.user])
            requests.writelines(lines)
        else:
            requests.write(f"{fx.tokens[s.user] if s.user else '-'}\t{s.body}\n")
        requests.flush()
        lua = str(BENCH / "wrk" / "scenario.lua")
        url = f"http://127.0.0.1:{args.port}{s.path.replace('<cursor>', fx.cursor)}"
        command = [WRK, f"-t{args.wrk_threads}", f"-c{args.connections}"]
        command += [f"-d{seconds}s", "--timeout", "10s", "-s", lua, url]
        env = {"BENCH_METHOD": s.method, "BENCH_REQUESTS": requests.name}
        env["BENCH_WRK_THREADS"] = str(args.wrk_threads)
        before, wrk = processes_cpu_s(args), children_cpu_s()
        out = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, check=False
        )
        cpu = cpu_between(before, processes_cpu_s(args))
        cpu["wrk"] = children_cpu_s() - wrk
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses=Counter({int(k): v for k, v in data["statuses"].items()}),
        socket_errors=data["socket_errors"],
        cpu_s=cpu,
    )


def outbox_reader(args: argparse.Namespace) -> Callable[[str], str]:
    """The code last texted to a number, read from the bench SMS outbox (bench/sms.py)."""
    from bench.sms import outbox_key  # reads the settings: after prepare()'s django.setup()

    outbox = redis.Redis.from_url(args.redis)
    return lambda phone: read_code(outbox, outbox_key(phone))


def drive_two_step(
    args: argparse.Namespace,
    s: Scenario,
    pool: list[Member] | None,
    seconds: int,
    read: Callable[[str], str],
) -> Result:
    """Two-step scenarios (a login, a number change, a deletion) from one thread per
    connection, each on a keep-alive connection: the first request has a code texted, the
    thread reads it from the bench SMS outbox (``read``: the number's code) and sends the
    second. One row is one sequence of two HTTP requests; its latency includes the outbox
    read (one Redis GET). With a ``pool``, each sequence is a user of its own (thread n takes
    users n, n + connections, ...); a thread whose users run out stops early, and the
    result says so (``pool_ran_out``)."""
    assert s.then is not None
    step = s.then
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []  # list.append is atomic; the counters are one per worker
    statuses: list[Counter[int]] = [Counter() for _ in range(args.connections)]
    errors = [0] * args.connections
    ran_out = [False] * args.connections

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        senders: Iterator[Member] = (
            iter(pool[n :: args.connections]) if pool is not None else repeat(Member())
        )

        def send(method: str, path: str, body: str, auth: dict[str, str], ok: Statuses) -> bool:
            conn.request(method, path, body=body, headers=JSON | auth)
            response = conn.getresponse()
            response.read()
            statuses[n][response.status] += 1
            return response.status in ok

        count = 0
        while time.perf_counter() < deadline:
            sender = next(senders, None)
            if sender is None:
                ran_out[n] = True
                break
            count += 1
            body, headers = first_request(s, sender, f"{n:02d}{count % 100_000:05d}")
            to = json.loads(body)["phone_number"]
            started = time.perf_counter()
            try:
                if send(s.method, s.path, body, headers, s.ok):
                    then, headers = then_request(s, sender, to, read(to))
                    if send("POST", step.path, then, headers, step.ok):
                        latencies.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                conn.close()
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies.sort()
    total = sum(statuses, Counter())
    return Result(
        requests=len(latencies),
        seconds=time.perf_counter() - started,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        statuses=total,
        socket_errors=sum(errors),
        extra={"http_requests": total.total()} | ({"pool_ran_out": True} if any(ran_out) else {}),
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest rank: the smallest value that ``pct`` % of the values are not above."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def alternating(items: Sequence[str], rounds: int) -> Iterator[str]:
    """A B C, C B A, A B C ...: a change in the machine's background load favours none."""
    for n in range(rounds):
        yield from (items if n % 2 == 0 else reversed(items))


def pooled(results: list[Result]) -> Result:
    """Rounds as one result: all requests over all seconds, latencies averaged."""
    return Result(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        p50_ms=sum(r.p50_ms for r in results) / len(results),
        p99_ms=sum(r.p99_ms for r in results) / len(results),
        statuses=sum((r.statuses for r in results), Counter()),
        socket_errors=sum(r.socket_errors for r in results),
        cpu_s={k: sum(r.cpu_s.get(k, 0.0) for r in results) for k in results[0].cpu_s},
        extra={"rounds_rps": [round(r.rps, 1) for r in results]},
    )


def compare_servers(args: argparse.Namespace, fx: Fixture) -> dict[str, Result]:
    """The profile scenario on each server, in rounds of alternating order."""
    rounds: dict[str, list[Result]] = {name: [] for name in args.compare}
    for name in alternating(args.compare, args.rounds):
        with serving(args, name):
            run(args, PROFILE, fx, 2)  # warm up every worker
            rounds[name].append(run(args, PROFILE, fx, args.duration))
        print(f"  {name}: {rounds[name][-1].rps:.1f} req/s on the profile")
    return {name: pooled(results) for name, results in rounds.items()}


def run_scenarios(args: argparse.Namespace, fx: Fixture, server: str) -> dict[str, Result]:
    """Every scenario on one server: the reads first, their ``duration`` seconds split in
    ``read_rounds`` rounds of alternating order, so their ratios compare reads that met the
    same bursts of background load; then the others, one after another."""
    reads = {s.name: s for s in SCENARIOS if s.read}
    rounds: dict[str, list[Result]] = {name: [] for name in reads}
    with serving(args, server):
        for s in reads.values():
            run(args, s, fx, 1)  # warm up every worker
        for name in alternating(list(reads), args.read_rounds):
            rounds[name].append(
                run(args, reads[name], fx, max(1, args.duration // args.read_rounds))
            )
        results = {name: pooled(r) for name, r in rounds.items()}
        for s in SCENARIOS:
            if not s.read:
                results[s.name] = run(args, s, fx, args.duration)
    return results


def pools_used(dsn: str, layout: Layout) -> dict[tuple[str, str], int]:
    """What the writing scenarios did to their pools, counted in the database after the run,
    less the one request of each that prepare() sent: users of the fresh pool who now have an
    inviter, of the changers who no longer have their seeded number, of the leavers gone."""
    fresh, changers, leavers = (layout.pool(name) for name in POOLS)
    sql = """SELECT
        count(*) FILTER (WHERE id BETWEEN %s AND %s AND invited_by_id IS NOT NULL),
        count(*) FILTER (WHERE id BETWEEN %s AND %s
                         AND phone_number <> '+79' || lpad(id::text, 9, '0')),
        %s - count(*) FILTER (WHERE id BETWEEN %s AND %s)
        FROM users_user WHERE id >= %s"""
    ends = [fresh[0], fresh[-1], changers[0], changers[-1], len(leavers), leavers[0], leavers[-1]]
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, [*ends, layout.pools_start]).fetchone()
    assert row is not None
    names = [("activate", "activations"), ("phone_change", "phone_changes")]
    return dict(zip([*names, ("account_delete", "deletions")], (n - 1 for n in row), strict=True))


def require_wrk() -> None:
    if not WRK:
        raise SystemExit("bench: wrk is missing; install it with `apt-get install -y wrk`.")


def main() -> int:
    args = parse_args()
    os.chdir(ROOT)
    (BENCH / "results").mkdir(exist_ok=True)
    require_wrk()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.environ.update(app_environment(args))
    layout = Layout(args.users, args.referrals, args.fresh, args.changers, args.leavers)
    layout.check()
    started_at, load_before = datetime.now(UTC), load_average()
    print(f"bench: {args.users:,} users, one with {args.referrals:,} referrals; db {args.db}")

    fresh_database(args)
    dsn = f"{args.pg}/{args.db}"
    seed_seconds = seed(dsn, layout)
    verify(dsn, layout)
    print(f"seeded {args.users:,} users in {seed_seconds:.1f} s (COPY, then VACUUM ANALYZE)")
    clear_redis(args)

    prepared = time.perf_counter()
    fx = prepare(layout)
    print(f"prepared tokens and counted statements in {time.perf_counter() - prepared:.1f} s")
    compared = compare_servers(args, fx)
    print(f"scenarios on {args.server}")
    results = run_scenarios(args, fx, args.server)
    for (name, what), n in pools_used(dsn, layout).items():
        results[name].extra[what] = n
    for name, ms in fx.cpu_ms.items():
        results[name].extra["cpu_ms_in_process"] = ms

    about = {
        "command": "make bench-ci" if args.ci else "make bench",
        "started_at": started_at.isoformat(timespec="seconds"),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "users": args.users,
        "popular_referrals": args.referrals,
        "fresh_users": args.fresh,
        "changers": args.changers,
        "leavers": args.leavers,
        "seed_seconds": round(seed_seconds, 1),
        "duration_s": args.duration,
        "read_rounds": args.read_rounds,
        "connections": args.connections,
        "wrk_threads": args.wrk_threads,
        "server": args.server,
        "server_command": server_command(args.server, args.port),
        "floor_path": FLOOR.path,
        "floor_status": FLOOR.ok[0],
    }
    found = {"machine": machine(args), **report(about, results, fx.queries, compared, args.port)}
    args.out.write_text(json.dumps(found, indent=2) + "\n")
    print(summary(found))
    print(f"written: {os.path.relpath(args.out, ROOT)}")
    clear_redis(args)
    if args.ci:
        drop_database(args)
    return 1 if found["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
