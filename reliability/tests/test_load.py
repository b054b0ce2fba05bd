"""Load without loss: a mixed load on granian, then the referral data checked whole."""

import os
import random
import threading
import time
from collections import Counter

import requests

from reliability.harness import (
    HIGH_LIMITS,
    Account,
    consistency,
    get,
    login,
    parallel,
    post,
    requires_services,
    sql_one,
    with_invite_code,
)

pytestmark = requires_services

SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "60"))
THREADS = int(os.environ.get("RELIABILITY_LOAD_THREADS", "16"))


def test_mixed_load_has_no_5xx_and_loses_nothing(group_factory, figure, live_db):
    grp = group_factory(**HIGH_LIMITS)
    server = grp.add(workers=2, threads=4)
    base = server.url
    pool: list[Account] = parallel(
        lambda _: with_invite_code(base, login(grp, base)), list(range(40)), 8
    )
    lock = threading.Lock()
    stats: Counter[str] = Counter()
    activated: list[tuple[int, str]] = []  # (user id, code) of every 200 activation
    account_locks: dict[int, threading.Lock] = {}
    deadline = time.monotonic() + SECONDS

    def one_step(rng: random.Random) -> None:
        action = rng.choices(["login", "profile", "activate", "refresh"], [1, 5, 2, 2])[0]
        with lock:
            account = rng.choice(pool)
        if action == "login":
            fresh = with_invite_code(base, login(grp, base))
            with lock:
                pool.append(fresh)
            status = 200
        elif action == "profile":
            status = get(base, "/api/profile/", account.access).status_code
        elif action == "activate":
            with lock:
                other = rng.choice(pool)
            r = post(
                base, "/api/profile/invite/", {"invite_code": other.invite_code}, account.access
            )
            status = r.status_code
            if status == 200:
                with lock:
                    activated.append((account.user_id, other.invite_code))
        else:
            # A refresh token is spent once: one thread at a time rotates one account's pair.
            with lock:
                own = account_locks.setdefault(account.user_id, threading.Lock())
            with own:
                r = post(base, "/api/auth/token/refresh/", {"refresh": account.refresh})
                if r.status_code == 200:
                    account.refresh = r.json()["refresh"]
                    account.access = r.json()["access"]
            status = r.status_code
        with lock:
            stats[f"{action} {status}"] += 1

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            try:
                one_step(rng)
            except (requests.RequestException, AssertionError) as exc:
                with lock:
                    stats[f"error {type(exc).__name__}"] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    total = sum(stats.values())
    server_errors = {k: v for k, v in stats.items() if k.split()[-1].startswith("5")}
    errors = {k: v for k, v in stats.items() if k.startswith("error")}
    assert not server_errors, stats
    assert not errors, stats
    assert {k.split()[1] for k in stats} <= {"200", "409", "400"}, stats

    broken = consistency(live_db)
    assert broken == {k: 0 for k in broken}, broken
    for user_id, code in activated:
        inviter_code = sql_one(
            live_db,
            "SELECT i.invite_code FROM users_user u JOIN users_user i ON i.id = u.invited_by_id "
            "WHERE u.id = %s",
            user_id,
        )
        assert inviter_code == code
    first = pool[0]
    listed = get(base, "/api/profile/referrals/?page_size=1000", first.access).json()["results"]
    assert len(listed) == get(base, "/api/profile/", first.access).json()["referrals_count"]
    figure(
        "mixed load",
        f"{total} requests in {elapsed:.0f}s from {THREADS} threads ({total / elapsed:.0f}/s) on "
        f"granian 2x4: {dict(sorted(stats.items()))}; 0 5xx; {len(activated)} activations all "
        "in their inviter's list; counts match, every user has a code, 0 cycles",
    )
