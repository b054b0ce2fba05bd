"""Where the profile's time goes: its request stopped at each layer, measured in process.

    python -m bench.breakdown        # a database of its own (bench_breakdown_db), dropped after

Each layer is one step of GET /api/profile/ (bench/breakdown_urls.py): Django's stack alone
(the benchmark's floor), then DRF's request cycle, the token's check, one round trip to
PostgreSQL, the statement that reads the user and their session, the profile's columns in
it, and the output serializer: the real profile. The production WSGI application is called
directly (no server, no load generator), with the benchmark's settings, against PostgreSQL
and Redis on loopback; the user is an ordinary one of the benchmark's data (an inviter,
three referrals), and in the last layer one with a full first page and more. Per layer:
this process's CPU per request (time.process_time, the best of the rounds, layers
alternated) and its PostgreSQL backend's (/proc/<pid>/stat, the mean over the rounds).
Prints a table and writes bench/results/breakdown.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.costs import backend_cpu_s, environment
from bench.run import ROOT, WRK, alternating, answers, drop_database, manage
from bench.scenarios import IMAGE_SERVER, SERVERS
from bench.seed import Layout, seed
from bench.session_cost import _call, _environ

LAYERS = (
    ("floor", "/healthz", "Django's stack and a plain view: the benchmark's floor"),
    ("drf", "/api/bench/drf/", "DRF's request cycle, no credentials"),
    ("token", "/api/bench/token/", "the bearer token checked, no statement"),
    ("select_1", "/api/bench/select-1/", "one round trip to PostgreSQL (SELECT 1)"),
    ("user_read", "/api/bench/user-read/", "the statement: the user and their session"),
    ("profile_read", "/api/bench/profile-read/", "the profile's columns in it, a bare answer"),
    ("by_hand", "/api/bench/profile-by-hand/", "the profile's answer built by hand, rendered"),
    ("profile", "/api/profile/", "the output serializer instead: GET /api/profile/ itself"),
    ("profile_full", "/api/profile/", "the same for a user with a full first page, and more"),
)
OUT = Path(__file__).parent / "results" / "breakdown.json"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--db", default="bench_breakdown_db")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    parser.add_argument("--requests", type=int, default=2000, help="per layer and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also serve the layers with the image's server and drive each with wrk for "
        "SECONDS (in --rounds rounds, 16 connections): req/s and the ratio to the floor",
    )
    args = parser.parse_args()
    args.port = int(os.environ.get("BENCH_PORT", "18302"))
    args.prefix = "breakdown" + secrets.token_hex(3)
    return args


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from users.models import User
    from users.tokens import token_pair_issue

    settings.ROOT_URLCONF = "bench.breakdown_urls"
    app = get_wsgi_application()
    layout = Layout(users=2_000, referrals=250, fresh=100)  # a full first page (100), and more
    seed(f"{args.pg}/{args.db}", layout)

    def token(user_id: int) -> str:
        return token_pair_issue(user=User(id=user_id, password="!"))["access"]

    ordinary, popular = token(layout.child_id(0)), token(layout.popular_id)
    # As the benchmark's floor, the layers before the token's come without one.
    authorization = {
        name: f"Bearer {popular if name == 'profile_full' else ordinary}"
        for name, _, _ in LAYERS
        if name not in ("floor", "drf")
    }
    requests = {
        name: _environ("GET", url, HTTP_ACCEPT="*/*")
        | ({"HTTP_AUTHORIZATION": authorization[name]} if name in authorization else {})
        for name, url, _ in LAYERS
    }
    for name, environ in requests.items():
        status, body = _call(app, dict(environ))
        assert status.startswith("200"), (name, status, body)
    for _ in range(300):  # warm up: the connection, prepared statements, the token memory
        for environ in requests.values():
            _call(app, dict(environ))
    backend = connection.connection.info.backend_pid
    best = dict.fromkeys(requests, float("inf"))
    postgres = dict.fromkeys(requests, 0.0)  # summed over the rounds: /proc counts in ticks
    for _ in range(args.rounds):
        for name, environ in requests.items():
            pg, cpu = backend_cpu_s(backend), time.process_time()
            for _ in range(args.requests):
                _call(app, dict(environ))
            best[name] = min(best[name], time.process_time() - cpu)
            postgres[name] += backend_cpu_s(backend) - pg
    return {
        name: {
            "cpu_us": round(best[name] / args.requests * 1e6, 1),
            "postgres_us": round(postgres[name] / args.requests / args.rounds * 1e6, 1),
            "what": what,
            "path": url,
        }
        for name, url, what in LAYERS
    }, authorization


def under_load(args: argparse.Namespace, layers: dict[str, Any], auth: dict[str, str]) -> None:
    """Each layer served by the image's server (granian 2 x 2) and driven by wrk: what a
    layer's cost does to the ratio the benchmark reports, measured rather than estimated."""
    command = SERVERS[IMAGE_SERVER].format(app="bench.breakdown_wsgi:application", port=args.port)
    program, *options = shlex.split(command)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / program), *options],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{args.port}"
        deadline = time.monotonic() + 60
        while not answers(url + "/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bench: the breakdown's server did not answer")
            time.sleep(0.2)

        def drive(name: str, seconds: int) -> tuple[int, float]:
            wrk = [WRK, "-t2", "-c16", f"-d{seconds}s"]
            wrk += ["-H", f"Authorization: {auth[name]}"] if name in auth else []
            out = subprocess.run([*wrk, url + layers[name]["path"]], capture_output=True, text=True)
            found = re.search(r"(\d+) requests in ([\d.]+)s", out.stdout)
            if out.returncode != 0 or not found or "Non-2xx" in out.stdout:
                raise SystemExit(f"bench: wrk on {name}:\n{out.stdout}{out.stderr}")
            return int(found[1]), float(found[2])

        for name in layers:  # warm up every worker on every layer
            drive(name, 1)
        done = {name: (0, 0.0) for name in layers}  # requests, seconds
        for name in alternating(list(layers), args.rounds):
            count, spent = drive(name, max(1, args.load // args.rounds))
            done[name] = (done[name][0] + count, done[name][1] + spent)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    floor = done["floor"][0] / done["floor"][1]
    print(f"\nunder load ({IMAGE_SERVER}, wrk 2 threads x 16 connections, {args.load} s a layer):")
    for name, (count, spent) in done.items():
        layers[name]["rps"] = round(count / spent, 1)
        layers[name]["ratio_to_floor"] = round(count / spent / floor, 3)
        print(f"  {name:13} {count / spent:8.1f} req/s  {count / spent / floor:.3f} x floor")


def report(layers: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"{'layer':13} {'cpu us':>7} {'step':>7} {'pg us':>6}  what the layer adds")
    previous = None
    for name, row in layers.items():
        if name == "profile_full":
            previous = layers["profile"]["cpu_us"]
        step = "" if previous is None else f"{row['cpu_us'] - previous:+.1f}"
        print(f"{name:13} {row['cpu_us']:7.1f} {step:>7} {row['postgres_us']:6.1f}  {row['what']}")
        previous = row["cpu_us"]
    floor, profile, full = layers["floor"], layers["profile"], layers["profile_full"]
    print(
        f"floor / profile, this process's CPU: {floor['cpu_us'] / profile['cpu_us']:.3f}; "
        f"with PostgreSQL's: {floor['cpu_us'] / (profile['cpu_us'] + profile['postgres_us']):.3f}"
    )
    print(f"profile / profile_full, this process's CPU: {profile['cpu_us'] / full['cpu_us']:.3f}")
    OUT.parent.mkdir(exist_ok=True)
    about = {
        "requests": args.requests,
        "rounds": args.rounds,
        "load_seconds": args.load,
        "load_average": os.getloadavg(),
    }
    OUT.write_text(json.dumps({"run": about, "layers": layers}, indent=2) + "\n")
    print(f"written: {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


def main() -> int:
    args = parse_args()
    os.environ.update(environment(args))
    drop_database(args, create=True)
    try:
        manage("migrate", "--noinput")
        if not (ROOT / "staticfiles").is_dir():  # as bench.run: WhiteNoise indexes it
            manage("collectstatic", "--noinput")
        layers, authorization = measure(args)
        if args.load:
            under_load(args, layers, authorization)
        report(layers, args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
