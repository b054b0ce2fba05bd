"""What the benchmark measures: the scenarios, the server shapes compared, the sizes, the targets.

bench/run.py drives them; another scenario, server or target is one more row here.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

POOLS = ("fresh", "changers", "leavers")  # a different seeded user for each request (seed.py)


@dataclass(frozen=True)
class Then:
    """The second request of a two-step scenario, sent with the code the first one had texted."""

    path: str
    body: str  # "<to>": the number the first request's code went to; "<sms>": that code
    ok: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Scenario:
    """One request sent again and again for the run's duration by wrk, or, with ``then``, two
    requests by the two-step driver (wrk cannot read the code the server texts)."""

    name: str
    method: str
    path: str  # "<cursor>": the cursor of the popular user's referrals at 90 % depth
    # whose token; a pool (POOLS): a different user for each request
    user: Literal["ordinary", "popular", "fresh", "changers", "leavers"] | None = None
    # JSON; "<n>" a 7-digit number unique to the request; "<code>" the invite code a fresh
    # user activates (an ordinary user's); "<own>" the pool user's own number
    body: str = ""
    ok: tuple[int, ...] = (200,)  # any other status fails the run
    read: bool = False  # the reads share their seconds in rounds of alternating order
    anonymous: bool = False  # the first request carries no token (``then`` carries it)
    then: Then | None = None  # the second request, by POST: the code read from the SMS outbox


VERIFY = Then("/api/auth/verify-code/", '{"phone_number": "<to>", "auth_code": "<sms>"}')
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
    # Seeded phones are +7 900 ... and +7 901 000 0000: the numbers sent to begin +7 912
    # (send_code), +7 913 (logins) and +7 914 (phone changes); bench.costs uses +7 915.
    Scenario("send_code", "POST", "/api/auth/send-code/", body='{"phone_number": "+7912<n>"}'),
    Scenario(
        "login", "POST", "/api/auth/send-code/", body='{"phone_number": "+7913<n>"}', then=VERIFY
    ),
    Scenario(
        "activate", "POST", "/api/profile/invite/", user="fresh", body='{"invite_code": "<code>"}'
    ),
    Scenario(
        "phone_change",
        "POST",
        "/api/profile/phone/",
        user="changers",
        body='{"phone_number": "+7914<n>"}',
        then=Then("/api/profile/phone/confirm/", VERIFY.body),
    ),
    Scenario(  # the code comes from send-code, to the account's own number
        "account_delete",
        "POST",
        "/api/auth/send-code/",
        user="leavers",
        body='{"phone_number": "<own>"}',
        anonymous=True,
        then=Then("/api/profile/delete/", '{"auth_code": "<sms>"}', ok=(204,)),
    ),
)
FLOOR, PROFILE = SCENARIOS[0], SCENARIOS[1]


class Member(NamedTuple):
    """Who sends a scenario's request: their access token ("" for none), their own number,
    the invite code they activate (a fresh user's: an ordinary user's code)."""

    token: str = ""
    own: str = ""
    code: str = ""


def first_request(s: Scenario, who: Member, n: str) -> tuple[str, dict[str, str]]:
    """The first request's body and headers; ``n`` fills "<n>"."""
    body = s.body.replace("<n>", n).replace("<own>", who.own).replace("<code>", who.code)
    return body, bearer("" if s.anonymous else who.token)


def then_request(s: Scenario, who: Member, to: str, sms: str) -> tuple[str, dict[str, str]]:
    """The second request's body and headers: ``sms`` is the code texted to ``to``."""
    assert s.then is not None
    return s.then.body.replace("<to>", to).replace("<sms>", sms), bearer(who.token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


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
    "changers": (3_000, 20_000, "users invited by nobody, for the phone_change scenario"),
    "leavers": (3_000, 20_000, "users invited by a family's root, for account_delete"),
    "duration": (3, 10, "seconds per scenario"),
    "rounds": (1, 2, "rounds of the server comparison"),
    "read_rounds": (1, 4, "rounds the reads' seconds are split in, in alternating order"),
    "connections": (16, 16, "wrk connections, two-step driver threads"),
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
