"""Redis behind Sentinel: the primary dies under a login load; logins come back by themselves.

A real redis-server primary and replica and three redis-sentinel processes (quorum 2) on
loopback ports; the app finds the master through the sentinels (REDIS_SENTINELS) and waits
for one replica on every spent code (REDIS_WAIT_REPLICAS=1). The primary is SIGKILLed while
threads log in; nothing restarts the app.
"""

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from reliability.harness import (
    HIGH_LIMITS,
    RedisSentinel,
    RedisServer,
    phones,
    post,
    requires_services,
    together,
    wait_for,
)

pytestmark = [
    requires_services,
    pytest.mark.skipif(
        not shutil.which("redis-sentinel"), reason="needs redis-sentinel (Debian: redis-sentinel)"
    ),
]

MASTER = "rel-master"
DOWN_AFTER_MS = 1000
LOAD_THREADS = 6


def _replication(port: int) -> dict[str, Any]:
    return redis.Redis(port=port).info("replication")  # type: ignore[no-any-return]


@pytest.fixture
def sentinel_redis() -> Iterator[tuple[RedisServer, RedisServer, list[RedisSentinel]]]:
    primary = RedisServer()
    primary.start()
    replica = RedisServer("--replicaof", "127.0.0.1", str(primary.port))
    sentinels = [RedisSentinel(MASTER, primary.port, 2, DOWN_AFTER_MS) for _ in range(3)]
    try:
        replica.start()
        wait_for(lambda: _replication(replica.port)["master_link_status"] == "up", 20, "replica")
        for sentinel in sentinels:
            sentinel.start()

        def sentinels_know_each_other() -> bool:
            for sentinel in sentinels:
                state: Any = redis.Redis(port=sentinel.port).sentinel_master(MASTER)
                if state["num-other-sentinels"] != 2 or state["num-slaves"] != 1:
                    return False
            return True

        wait_for(sentinels_know_each_other, 30, "sentinels discovering each other")
        yield primary, replica, sentinels
    finally:
        for sentinel in sentinels:
            sentinel.close()
        replica.close()
        primary.close()


def _master_port(sentinel: RedisSentinel) -> int:
    address: Any = redis.Redis(port=sentinel.port).sentinel_get_master_addr_by_name(MASTER)
    return int(address[1])


def test_a_killed_primary_fails_over_without_a_restart_and_no_code_works_twice(
    group_factory, figure, sentinel_redis
):
    primary, replica, sentinels = sentinel_redis
    grp = group_factory(redis_url=primary.url, **HIGH_LIMITS)
    server = grp.add(
        workers=2,
        threads=4,
        REDIS_URL="",
        REDIS_SENTINELS=",".join(f"127.0.0.1:{s.port}" for s in sentinels),
        REDIS_SENTINEL_MASTER=MASTER,
        REDIS_WAIT_REPLICAS="1",
        REDIS_WAIT_TIMEOUT="100",
    )
    base = server.url

    lock = threading.Lock()
    stats: Counter[str] = Counter()
    spent: list[tuple[str, str]] = []  # (phone, code) of every code that logged in
    logins: list[tuple[float, float]] = []  # (started, finished) of every whole login
    lost_codes = 0  # sent (200), then unknown to the verify: the send did not survive
    stop = threading.Event()

    def login_once() -> None:
        nonlocal lost_codes
        phone = phones.take()
        started = time.monotonic()
        sent = post(base, "/api/auth/send-code/", {"phone_number": phone})
        with lock:
            stats[f"send {sent.status_code}"] += 1
        if sent.status_code != 200:
            return
        code = grp.inbox.last_code(phone)
        done = post(base, "/api/auth/verify-code/", {"phone_number": phone, "auth_code": code})
        with lock:
            stats[f"verify {done.status_code}"] += 1
            if done.status_code == 200:
                spent.append((phone, code))
                logins.append((started, time.monotonic()))
            elif done.status_code == 400:
                lost_codes += 1

    def worker() -> None:
        while not stop.is_set():
            try:
                login_once()
            except requests.RequestException as exc:
                with lock:
                    stats[f"error {type(exc).__name__}"] += 1
            time.sleep(0.01)

    # A witness counter: sends to one phone, replicated before the primary dies.
    witness = phones.take()
    for _ in range(3):
        assert post(base, "/api/auth/send-code/", {"phone_number": witness}).status_code == 200
        time.sleep(1.05)  # AUTH_CODE_RESEND_INTERVAL is 1 s in HIGH_LIMITS
    witness_key = f"{grp.prefix}:1:limit:send_per_phone:{witness}"
    primary_client = redis.Redis(port=primary.port)
    assert int(primary_client.get(witness_key) or 0) == 3
    assert primary_client.wait(1, 2000) == 1

    threads = [threading.Thread(target=worker) for _ in range(LOAD_THREADS)]
    for t in threads:
        t.start()
    time.sleep(3)
    before = _replication(primary.port)["master_repl_offset"]
    log_at_kill = len(server.log_text())
    killed = time.monotonic()
    primary.kill()
    on_replica = _replication(replica.port)["slave_repl_offset"]
    try:
        wait_for(lambda: _master_port(sentinels[0]) == replica.port, 30, "failover")
        promoted = time.monotonic() - killed

        def logged_in_again() -> bool:
            with lock:
                return any(start > killed for start, _ in logins)

        wait_for(logged_in_again, 30, "a login after the failover")
        time.sleep(3)  # and they keep working
    finally:
        stop.set()
        for t in threads:
            t.join()
    with lock:
        first_back = min(end for start, end in logins if start > killed) - killed
        after = sum(1 for start, _ in logins if start > killed)

    assert not any(k.split()[-1] == "500" for k in stats), stats
    assert {k for k in stats if not k.startswith("error")} <= {
        "send 200",
        "send 503",
        "verify 200",
        "verify 400",
        "verify 503",
    }, stats
    assert after > 0, stats

    # Before the kill, every spent code was acknowledged by the replica (WAIT); after it, with
    # no replica left, logins went on and said so.
    unacknowledged = "replicas acknowledged within"
    assert unacknowledged not in server.log_text()[:log_at_kill]
    degraded = server.log_text()[log_at_kill:].count(unacknowledged)
    assert degraded > 0

    # No code that logged someone in works again, on the promoted replica.
    again = Counter(
        post(base, "/api/auth/verify-code/", {"phone_number": p, "auth_code": c}).status_code
        for p, c in spent
    )
    assert again[200] == 0, again
    # A fresh code verified by ten clients at once on the new primary: exactly one login.
    phone = phones.take()
    assert post(base, "/api/auth/send-code/", {"phone_number": phone}).status_code == 200
    code = grp.inbox.last_code(phone)
    results = together(
        [
            lambda: post(base, "/api/auth/verify-code/", {"phone_number": phone, "auth_code": code})
            for _ in range(10)
        ]
    )
    assert sorted(r.status_code for r in results) == [200] + [400] * 9
    # The replicated counter survived: the witness phone still has its 3 sends counted.
    assert int(redis.Redis(port=replica.port).get(witness_key) or 0) == 3

    figure(
        "sentinel failover",
        f"primary SIGKILLed under {LOAD_THREADS} login threads; sentinels promoted the replica "
        f"after {promoted:.1f}s (down-after {DOWN_AFTER_MS} ms), the first whole login begun "
        f"after the kill finished at {first_back:.1f}s, with no restart; "
        f"{dict(sorted(stats.items()))}; "
        f"replica ~{max(0, before - on_replica)} bytes behind at the kill; {lost_codes} codes sent "
        f"but lost (asked again); {len(spent)} spent codes tried again: 0 accepted; "
        "10 parallel verifies of one code after it: 1 login; a replicated counter kept its 3; "
        f"every verify before the kill acknowledged by the replica, {degraded} after it logged "
        "as unacknowledged (no replica left)",
    )
