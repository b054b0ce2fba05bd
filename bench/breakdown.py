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
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from bench.costs import environment, service_options
from bench.fixture import Fixture
from bench.report import cpu_per_request
from bench.run import (
    alternating,
    own_database,
    pooled,
    process_cpu_s,
    require_wrk,
    run,
    serving,
)
from bench.scenarios import IMAGE_SERVER, SIZES, Scenario
from bench.seed import Layout, seed
from bench.session_cost import wsgi_call, wsgi_environ

# Each layer a scenario (what the benchmark would send), with what it adds to the one before.
# As the benchmark's floor, the layers before the token's come without one.
LAYERS = (
    (
        Scenario("floor", "GET", "/healthz"),
        "Django's stack and a plain view: the benchmark's floor",
    ),
    (Scenario("drf", "GET", "/api/bench/drf/"), "DRF's request cycle, no credentials"),
    (
        Scenario("token", "GET", "/api/bench/token/", user="ordinary"),
        "the bearer token checked, no statement",
    ),
    (
        Scenario("select_1", "GET", "/api/bench/select-1/", user="ordinary"),
        "one round trip to PostgreSQL (SELECT 1)",
    ),
    (
        Scenario("user_read", "GET", "/api/bench/user-read/", user="ordinary"),
        "the user read with their session (one statement)",
    ),
    (
        Scenario("profile_read", "GET", "/api/bench/profile-read/", user="ordinary"),
        "the profile's reads (inviter's code, first page), a bare answer",
    ),
    (
        Scenario("by_hand", "GET", "/api/bench/profile-by-hand/", user="ordinary"),
        "the profile's answer built by hand, rendered",
    ),
    (
        Scenario("profile", "GET", "/api/profile/", user="ordinary"),
        "the output serializer instead: GET /api/profile/ itself",
    ),
    (
        Scenario("profile_full", "GET", "/api/profile/", user="popular"),
        "the same for a user with a full first page, and more",
    ),
)
OUT = Path(__file__).parent / "results" / "breakdown.json"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    service_options(parser, "bench_breakdown_db")
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
    args.connections, args.wrk_threads = SIZES["connections"][1], SIZES["wrk_threads"][1]
    args.prefix = "breakdown" + secrets.token_hex(3)
    return args


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], Fixture]:
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

    fx = Fixture(
        {"ordinary": token(layout.child_id(0)), "popular": token(layout.popular_id)}, {}, ""
    )
    requests = {
        s.name: wsgi_environ(s.method, s.path, HTTP_ACCEPT="*/*")
        | ({"HTTP_AUTHORIZATION": f"Bearer {fx.tokens[s.user]}"} if s.user else {})
        for s, _ in LAYERS
    }
    for name, environ in requests.items():
        status, body = wsgi_call(app, dict(environ))
        assert status.startswith("200"), (name, status, body)
    for _ in range(300):  # warm up: the connection, prepared statements
        for environ in requests.values():
            wsgi_call(app, dict(environ))
    backend = connection.connection.info.backend_pid
    best = dict.fromkeys(requests, float("inf"))
    postgres = dict.fromkeys(requests, 0.0)  # summed over the rounds: /proc counts in ticks
    for _ in range(args.rounds):
        for name, environ in requests.items():
            pg, cpu = process_cpu_s(backend), time.process_time()
            for _ in range(args.requests):
                wsgi_call(app, dict(environ))
            best[name] = min(best[name], time.process_time() - cpu)
            postgres[name] += process_cpu_s(backend) - pg
    return {
        s.name: {
            "cpu_us": round(best[s.name] / args.requests * 1e6, 1),
            "postgres_us": round(postgres[s.name] / args.requests / args.rounds * 1e6, 1),
            "what": what,
            "path": s.path,
        }
        for s, what in LAYERS
    }, fx


def under_load(args: argparse.Namespace, layers: dict[str, Any], fx: Fixture) -> None:
    """Each layer served by the image's server and driven by the benchmark's own wrk runs:
    what a layer's cost does to the ratio the benchmark reports, measured, not estimated."""
    scenarios = {s.name: s for s, _ in LAYERS}
    rounds: dict[str, list[Any]] = {name: [] for name in scenarios}
    with serving(args, IMAGE_SERVER, app="bench.breakdown_wsgi:application"):
        for s in scenarios.values():
            run(args, s, fx, 1)  # warm up every worker on every layer
        for name in alternating(list(scenarios), args.rounds):
            rounds[name].append(run(args, scenarios[name], fx, max(1, args.load // args.rounds)))
    floor = pooled(rounds["floor"]).rps
    print(f"\nunder load ({IMAGE_SERVER}, wrk 2 threads x 16 connections, {args.load} s a layer):")
    for name, results in rounds.items():
        r = pooled(results)
        if set(r.statuses) != {200} or r.socket_errors:
            raise SystemExit(
                f"bench: {name}: statuses {dict(r.statuses)}, {r.socket_errors} errors"
            )
        cpu = cpu_per_request(r)
        layers[name] |= {"rps": round(r.rps, 1), "ratio_to_floor": round(r.rps / floor, 3)}
        layers[name]["cpu_us_per_request_under_load"] = cpu
        print(
            f"  {name:13} {r.rps:8.1f} req/s  {r.rps / floor:.3f} x floor  cpu us: server "
            f"{cpu['server']:.0f}, postgres {cpu['postgres']:.0f}, wrk {cpu['wrk']:.0f}"
        )


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
    if args.load:
        require_wrk()
    os.environ.update(environment(args))
    with own_database(args):
        layers, fx = measure(args)
        if args.load:
            under_load(args, layers, fx)
        report(layers, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
