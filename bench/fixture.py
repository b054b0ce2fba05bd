"""What needs Django in this process: access tokens, the deep cursor, and each scenario's
request sent once through django.test.Client, for its SQL statements and its CPU time."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bench.scenarios import SCENARIOS, VERIFY_PATH, Scenario
from bench.seed import Layout, invite_code

SPARE_N = "9999999"  # "<n>" in-process starts with 99: no wrk thread or login worker is 99


@dataclass
class Fixture:
    """What the scenarios need from the seeded data, and what was measured in-process."""

    tokens: dict[str, str]  # "ordinary", "popular"
    fresh: list[tuple[str, str]]  # a fresh user's token and the code it activates
    cursor: str
    queries: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)


def read_code(client: Any, key: str) -> str:
    """The code in the last SMS the bench backend "sent" (bench/sms.py)."""
    found = re.search(rb"\d{6}", client.get(key) or b"")
    return found.group().decode() if found else ""


def prepare(layout: Layout) -> Fixture:
    """Mint tokens and the deep cursor, then send each scenario's request once through
    django.test.Client (the whole middleware stack), counting its SQL statements with
    Django's CaptureQueriesContext; a request that can be repeated also gets its CPU time
    in this process (waits on PostgreSQL and Redis not included), best of 3 x 100."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_redis import get_redis_connection

    from bench.sms import outbox_key
    from referrals.selectors import Referral, cursor_after
    from users.models import User
    from users.tokens import token_pair_issue

    def token(user_id: int) -> str:  # the access token of a new session of the user
        return token_pair_issue(user=User(id=user_id, password="!"))["access"]

    depth = int(layout.referrals * 0.9)
    newest_first = User.objects.filter(invited_by_id=layout.popular_id)
    newest_first = newest_first.order_by("-invited_at", "-id")
    last = newest_first.values_list("phone_number", "invited_at", "id")[depth - 1]
    assert last[1] is not None  # a referral's activation time
    fresh = [
        (token(user_id), invite_code(layout.child_id(n % layout.families)))
        for n, user_id in enumerate(range(layout.fresh_start, layout.users + 1))
    ]
    spare = fresh.pop()  # activated below; the scenario gets the others
    tokens = {"ordinary": token(layout.child_id(0)), "popular": token(layout.popular_id)}
    fixture = Fixture(tokens, fresh, cursor_after(Referral(last[0], last[1], last[2])))
    token_of = {**tokens, "fresh": spare[0]}
    client = Client(SERVER_NAME="127.0.0.1")

    def counted(s: Scenario, path: str, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(s.method, path, body, "application/json", headers=headers)
        if response.status_code not in s.ok:
            raise SystemExit(f"bench: {s.name}: {response.status_code} {response.content!r}")
        return len(queries), response

    for s in SCENARIOS:
        path = s.path.replace("<cursor>", fixture.cursor)
        body = s.body.replace("<n>", SPARE_N).replace("<code>", spare[1])
        headers = {"Authorization": f"Bearer {token_of[s.user]}"} if s.user else {}
        fixture.queries[s.name], response = counted(s, path, body, headers)
        if s.driver == "login":  # and verify-code, with the code that was sent
            phone = json.loads(body)["phone_number"]
            code = read_code(get_redis_connection("default"), outbox_key(phone))
            verify = json.dumps({"phone_number": phone, "auth_code": code})
            fixture.queries[s.name] += counted(s, VERIFY_PATH, verify, {})[0]
        if s.name == "referrals_deep":
            expected = newest_first.values_list("phone_number", flat=True)[depth]
            if response.json()["results"][0]["phone_number"] != expected:
                raise SystemExit(f"bench: the deep page does not start at {expected}")
        if s.driver == "wrk" and s.user != "fresh":  # repeatable (a fresh user activates once)
            best = float("inf")
            for r in range(3):
                started = time.process_time()
                for n in range(100):
                    again = s.body.replace("<n>", f"99{r}{n:04d}")
                    client.generic(s.method, path, again, "application/json", headers=headers)
                best = min(best, (time.process_time() - started) * 10)  # ms per request
            fixture.cpu_ms[s.name] = round(best, 3)
    connection.close()
    return fixture
