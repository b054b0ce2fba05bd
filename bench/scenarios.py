"""What the benchmark measures: the scenarios, the server shapes compared, the sizes, the targets.

bench/run.py drives them; another scenario, server or target is one more row here.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Scenario:
    """One request sent again and again for the run's duration, by wrk or the login driver."""

    name: str
    method: str
    path: str  # "<cursor>": the cursor of the popular user's referrals at 90 % depth
    # whose token; "fresh": a different user, invited by nobody, for each request
    user: Literal["ordinary", "popular", "fresh"] | None = None
    body: str = ""  # JSON; "<n>" a 7-digit number unique to the request, "<code>" an invite code
    ok: tuple[int, ...] = (200,)  # any other status fails the run
    read: bool = False  # the reads share their seconds in rounds of alternating order
    driver: Literal["wrk", "login"] = "wrk"  # login: send-code, read the code, verify-code


SCENARIOS = (
    Scenario("floor", "GET", "/healthz", read=True),
    Scenario("profile", "GET", "/api/profile/", user="ordinary", read=True),
    Scenario("profile_100k", "GET", "/api/profile/", user="popular", read=True),
    Scenario(
        "referrals_deep",
        "GET",
        "/api/profile/referrals/?cursor=<cursor>",
        user="popular",
        read=True,
    ),
    # Seeded phones are +7 900 ...: the numbers sent to begin +7 912 (wrk) and +7 913 (logins).
    Scenario("send_code", "POST", "/api/auth/send-code/", body='{"phone_number": "+7912<n>"}'),
    Scenario(
        "login", "POST", "/api/auth/send-code/", body='{"phone_number": "+7913<n>"}', driver="login"
    ),
    Scenario(
        "activate", "POST", "/api/profile/invite/", user="fresh", body='{"invite_code": "<code>"}'
    ),
)
FLOOR, PROFILE = SCENARIOS[0], SCENARIOS[1]
VERIFY_PATH = "/api/auth/verify-code/"  # the second request of a login

# The one server is granian (bench/README.md, "One application server"); what is compared on
# the profile is its shape, each sized for 2 cores: 2 workers of 4, 2 or 1 blocking threads.
# granian warns above 2 x cores + 1 threads per worker; with a database round trip in every
# request, fewer threads per process can mean less waiting for its GIL.
GRANIAN = "granian {app} --interface wsgi --host 127.0.0.1 --port {port} --workers 2 --no-ws"
SERVERS = {
    "granian-2x4": GRANIAN + " --blocking-threads 4",
    "granian-2x2": GRANIAN + " --blocking-threads 2",  # the Docker image's setting
    "granian-2x1": GRANIAN + " --blocking-threads 1",
}
IMAGE_SERVER = "granian-2x2"  # the scenarios' server when none is compared


WSGI_APP = "referral_system.wsgi:application"


def server_command(name: str, port: int, app: str = WSGI_APP) -> str:
    return SERVERS[name].format(app=app, port=port)


# Each setting: its value with --ci, without, and what it is; each is also an option (--fresh).
PORT = os.environ.get("BENCH_PORT")
SIZES: dict[str, tuple[Any, Any, str]] = {
    "users": (20_000, 1_000_000, "users seeded"),
    "referrals": (5_000, 100_000, "referrals of the popular user"),
    "fresh": (3_000, 20_000, "users invited by nobody, for the activate scenario"),
    "duration": (3, 10, "seconds per scenario"),
    "rounds": (1, 2, "rounds of the server comparison"),
    "read_rounds": (1, 4, "rounds the reads' seconds are split in, in alternating order"),
    "connections": (16, 16, "wrk connections, login driver threads"),
    "wrk_threads": (2, 2, "wrk threads"),
    "port": (int(PORT or 18301), int(PORT or 18300), "the server's port (BENCH_PORT)"),
    "db": ("bench_ci_db", "bench_db", "database, dropped and created"),
}

Rows = dict[str, dict[str, Any]]  # the JSON's rows: scenarios, then "server <name>" rows


@dataclass(frozen=True)
class Target:
    name: str
    value: Callable[[Rows], float]
    met: Callable[[Any, Any], bool]  # of the value and the goal
    goal: float


def ratio(a: str, b: str) -> Callable[[Rows], float]:
    return lambda rows: rows[a]["rps"] / rows[b]["rps"] if rows[b]["rps"] else 0.0


def queries(name: str) -> Callable[[Rows], float]:
    return lambda rows: rows[name]["queries_per_request"]


# issue 12, "Speed it must keep": reported, never asserted.
TARGETS = (
    Target("profile >= 40% of floor req/s", ratio("profile", "floor"), operator.ge, 0.4),
    Target(
        "profile_100k >= 90% of profile req/s", ratio("profile_100k", "profile"), operator.ge, 0.9
    ),
    Target("profile p99 < 50 ms", lambda rows: rows["profile"]["p99_ms"], operator.lt, 50),
    Target("zero 5xx", lambda rows: sum(r["s5xx"] for r in rows.values()), operator.eq, 0),
    Target("send_code >= 30% of floor req/s", ratio("send_code", "floor"), operator.ge, 0.3),
    Target("profile queries <= 2", queries("profile"), operator.le, 2),
    Target("profile_100k queries <= 2", queries("profile_100k"), operator.le, 2),
    Target("referrals_deep queries <= 2", queries("referrals_deep"), operator.le, 2),
)
