"""What needs Django in this process: access tokens, the deep cursor, and each scenario's
request sent once through django.test.Client, for its SQL statements and its CPU time."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bench.scenarios import POOLS, SCENARIOS, Member, first_request, then_request
from bench.seed import Layout, invite_code, phone

SPARE_N = "9999999"  # "<n>" in-process starts with 99: no wrk thread or driver worker is 99


@dataclass
class Fixture:
    """What the scenarios need from the seeded data, and what was measured in-process."""

    tokens: dict[str, str]  # "ordinary", "popular"
    pools: dict[str, list[Member]]  # each pool's users (POOLS), one for each request
    cursor: str
    queries: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)


def read_code(client: Any, key: str) -> str:
    """The code in the last SMS the bench backend "sent" (bench/sms.py)."""
    found = re.search(rb"\d{6}", client.get(key) or b"")
    return found.group().decode() if found else ""


def prepare(layout: Layout) -> Fixture:
    """Mint tokens and the deep cursor, then send each scenario's request (both, for a
    two-step one) once through django.test.Client (the whole middleware stack), counting its
    SQL statements with Django's CaptureQueriesContext; a request that can be repeated also
    gets its CPU time in this process (waits on PostgreSQL and Redis not included), best of
    3 x 100."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_redis import get_redis_connection
    from rest_framework_simplejwt.settings import api_settings

    from bench.sms import outbox_key
    from referrals.selectors import Referral, cursor_after
    from users.models import LoginSession, User
    from users.tokens import session_token_pair, token_pair_issue

    def token(user_id: int) -> str:  # the access token of a new session of the user
        return token_pair_issue(user=User(id=user_id, password="!"))["access"]

    depth = int(layout.referrals * 0.9)
    newest_first = User.objects.filter(invited_by_id=layout.popular_id)
    newest_first = newest_first.order_by("-invited_at", "-id")
    last = newest_first.values_list("phone_number", "invited_at", "id")[depth - 1]
    assert last[1] is not None  # a referral's activation time
    # The pools' sessions in one insert each: the rows a first login starts (the model's
    # defaults; users without sessions leave token_pair_issue nothing to prune or purge). One
    # token_pair_issue a user is 4 statements: 9,000 users took 299 s that way, 16 s so (the
    # same loaded machine, 2026-12-06).
    expires = timezone.now() + api_settings.REFRESH_TOKEN_LIFETIME
    pools = {}
    for name in POOLS:
        sessions = [LoginSession(user_id=i, expires_at=expires) for i in layout.pool(name)]
        sessions = LoginSession.objects.bulk_create(sessions, batch_size=5_000)
        pools[name] = [
            Member(session_token_pair(session=row)["access"], phone(row.user_id))
            for row in sessions
        ]
    pools["fresh"] = [  # each activates an ordinary user's code, family after family
        m._replace(code=invite_code(layout.child_id(n % layout.families)))
        for n, m in enumerate(pools["fresh"])
    ]
    spare = {name: members.pop() for name, members in pools.items()}  # used up below
    tokens = {"ordinary": token(layout.child_id(0)), "popular": token(layout.popular_id)}
    fixture = Fixture(tokens, pools, cursor_after(Referral(last[0], last[1], last[2])))
    who = {name: Member(t) for name, t in tokens.items()} | spare
    client = Client(SERVER_NAME="127.0.0.1")
    outbox = get_redis_connection("default")

    def counted(
        method: str, path: str, body: str, headers: dict[str, str], ok: tuple[int, ...]
    ) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(method, path, body, "application/json", headers=headers)
        if response.status_code not in ok:
            raise SystemExit(f"bench: {path}: {response.status_code} {response.content!r}")
        return len(queries), response

    for s in SCENARIOS:
        sender = who[s.user] if s.user else Member()
        path = s.path.replace("<cursor>", fixture.cursor)
        body, headers = first_request(s, sender, SPARE_N)
        fixture.queries[s.name], response = counted(s.method, path, body, headers, s.ok)
        if s.then:  # and the second request, with the code that was sent
            to = json.loads(body)["phone_number"]
            body, headers = then_request(s, sender, to, read_code(outbox, outbox_key(to)))
            fixture.queries[s.name] += counted("POST", s.then.path, body, headers, s.then.ok)[0]
        if s.name == "referrals_deep":
            expected = newest_first.values_list("phone_number", flat=True)[depth]
            if response.json()["results"][0]["phone_number"] != expected:
                raise SystemExit(f"bench: the deep page does not start at {expected}")
        if not s.then and s.user not in POOLS:  # repeatable (a pool's user acts once)
            best = float("inf")
            for r in range(3):
                started = time.process_time()
                for n in range(100):
                    again = first_request(s, sender, f"99{r}{n:04d}")[0]
                    client.generic(s.method, path, again, "application/json", headers=headers)
                best = min(best, (time.process_time() - started) * 10)  # ms per request
            fixture.cpu_ms[s.name] = round(best, 3)
    connection.close()
    return fixture
