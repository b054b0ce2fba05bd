"""Faults: Redis or PostgreSQL gone while the server runs, a worker killed mid-activation."""

import os
import random
import signal
import threading
import time

import requests

from reliability.harness import (
    HIGH_LIMITS,
    PostgresCluster,
    RedisServer,
    consistency,
    database_create,
    get,
    is_error_shape,
    login,
    migrate,
    parallel,
    phones,
    post,
    random_secret,
    requires_services,
    server_env,
    with_database,
    with_invite_code,
)

pytestmark = requires_services


def _unavailable(response: requests.Response) -> bool:
    return (
        response.status_code == 503
        and is_error_shape(response)
        and response.json()["code"] == "service_unavailable"
    )


def test_redis_outage_fails_closed_and_recovers_without_restart(group_factory, figure):
    own_redis = RedisServer()
    own_redis.start()
    try:
        grp = group_factory(redis_url=own_redis.url, **HIGH_LIMITS)
        server = grp.add()
        pids = server.worker_pids()
        account = login(grp, server.url)
        waiting = phones.take()
        assert post(server.url, "/api/auth/send-code/", {"phone_number": waiting}).ok
        waiting_code = grp.inbox.last_code(waiting)
        sms_before = grp.inbox.count()

        own_redis.stop()
        send = post(server.url, "/api/auth/send-code/", {"phone_number": phones.take()})
        verify = post(
            server.url,
            "/api/auth/verify-code/",
            {"phone_number": waiting, "auth_code": waiting_code},
        )
        profile = get(server.url, "/api/profile/", account.access)
        invite = post(server.url, "/api/profile/invite/", {"invite_code": "ABC123"}, account.access)
        assert _unavailable(send), send.text
        assert _unavailable(verify), verify.text
        assert "access" not in verify.json()
        assert _unavailable(invite), invite.text
        assert profile.status_code == 200, profile.text
        assert grp.inbox.count() == sms_before

        # A Redis that hangs instead of refusing: the socket timeout answers for it.
        own_redis.start()
        own_redis.pause()
        started = time.monotonic()
        hung = post(server.url, "/api/auth/send-code/", {"phone_number": phones.take()})
        hung_seconds = time.monotonic() - started
        own_redis.resume()
        assert _unavailable(hung), hung.text
        assert grp.inbox.count() == sms_before

        again = login(grp, server.url)
        assert get(server.url, "/api/profile/", again.access).status_code == 200
        assert server.worker_pids() == pids  # the same processes: no restart
    finally:
        own_redis.close()
    figure(
        "redis outage",
        f"send-code {send.status_code} {send.json()['code']}, verify-code {verify.status_code} "
        f"(no token), invite {invite.status_code}, profile {profile.status_code}, 0 SMS; "
        f"hung Redis answered 503 in {hung_seconds:.1f}s; after restart login 200, same workers",
    )


def test_postgres_outage_answers_503_and_recovers_without_restart(group_factory, figure):
    cluster = PostgresCluster()
    cluster.start()
    try:
        db_url = with_database(cluster.url, "rel_fault")
        database_create(db_url)
        migrate(
            server_env(
                DATABASE_URL=db_url, SECRET_KEY=random_secret(), JWT_SIGNING_KEY=random_secret()
            )
        )
        grp = group_factory(db_url=db_url, **HIGH_LIMITS)
        server = grp.add()
        pids = server.worker_pids()
        account = login(grp, server.url)
        waiting = phones.take()

        cluster.stop()
        answers = {
            "profile": get(server.url, "/api/profile/", account.access),
            "referrals": get(server.url, "/api/profile/referrals/", account.access),
            "refresh": post(server.url, "/api/auth/token/refresh/", {"refresh": account.refresh}),
            "invite": post(
                server.url, "/api/profile/invite/", {"invite_code": "ABC123"}, account.access
            ),
        }
        assert post(server.url, "/api/auth/send-code/", {"phone_number": waiting}).ok
        answers["verify"] = post(
            server.url,
            "/api/auth/verify-code/",
            {"phone_number": waiting, "auth_code": grp.inbox.last_code(waiting)},
        )
        ready = get(server.url, "/readyz")
        for name, response in answers.items():
            assert _unavailable(response), (name, response.status_code, response.text)
        if ready.status_code != 404:  # /readyz comes with the health-check endpoints
            assert ready.status_code == 503, ready.text

        cluster.start()
        after = get(server.url, "/api/profile/", account.access)
        assert after.status_code == 200, after.text
        fresh = login(grp, server.url)
        assert get(server.url, "/api/profile/", fresh.access).status_code == 200
        assert server.worker_pids() == pids
    finally:
        cluster.close()
    statuses = ", ".join(f"{k} {v.status_code}" for k, v in answers.items())
    figure(
        "postgres outage",
        f"{statuses} (all service_unavailable, no traceback); /readyz {ready.status_code}; "
        "after restart profile 200 and login 200, same workers",
    )


def test_worker_killed_mid_activation_leaves_no_half_activation(group_factory, figure, live_db):
    grp = group_factory(**HIGH_LIMITS)
    # Told to start a killed worker again. The image is not: there one dead worker stops the
    # server and the container is restarted; either way the database must hold.
    server = grp.add(workers=2, threads=4, GRANIAN_RESPAWN_FAILED_WORKERS="true")
    accounts = parallel(
        lambda _: with_invite_code(server.url, login(grp, server.url)), list(range(120)), 8
    )
    # Each user activates the code of someone before them: a forest, never a loop.
    parent = {i: random.randrange(i) for i in range(1, len(accounts))}
    order = list(parent)
    random.shuffle(order)
    done = [0]
    lock = threading.Lock()
    outcomes: dict[int, str] = {}

    def activate(i: int) -> None:
        try:
            r = post(
                server.url,
                "/api/profile/invite/",
                {"invite_code": accounts[parent[i]].invite_code},
                accounts[i].access,
            )
            outcome = str(r.status_code)
        except requests.RequestException:  # reset, refused or cut off mid-response
            outcome = "connection lost"
        with lock:
            outcomes[i] = outcome
            done[0] += 1

    kills = []

    def killer() -> None:
        for fraction in (0.2, 0.45, 0.7):
            while done[0] < fraction * len(order):
                time.sleep(0.001)
            # The longest-lived worker: granian starts a killed worker again, but takes the
            # one it just started dying within 5.5 s for a crash loop and stops altogether.
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    parallel(activate, order, 16)
    kill_thread.join()

    assert len(kills) == 3
    # Each granian worker listens on its own socket: until a killed one is started again,
    # its share of new connections is refused. The repeats below wait for all of them.
    server.wait_listening()
    lost = [i for i, o in outcomes.items() if o == "connection lost"]
    assert {o for o in outcomes.values()} <= {"200", "connection lost"}, outcomes
    broken = consistency(live_db)
    assert (broken["half_written"], broken["count_mismatch"]) == (0, 0), broken

    # Every activation either happened whole or not at all: repeating it now succeeds.
    retried = parallel(
        lambda i: (
            post(
                server.url,
                "/api/profile/invite/",
                {"invite_code": accounts[parent[i]].invite_code},
                accounts[i].access,
            ).status_code
        ),
        order,
        8,
    )
    assert set(retried) == {200}
    for i in order:
        profile = get(server.url, "/api/profile/", accounts[i].access).json()
        assert profile["activated_invite_code"] == accounts[parent[i]].invite_code
    for j, account in enumerate(accounts):
        expected = sum(1 for p in parent.values() if p == j)
        assert (
            get(server.url, "/api/profile/", account.access).json()["referrals_count"] == expected
        )
    assert consistency(live_db) == {k: 0 for k in broken}
    figure(
        "SIGKILL mid-activation",
        f"{len(order)} activations from 16 threads, 3 workers SIGKILLed, {len(lost)} requests "
        "lost in flight; 0 half-written rows, 0 count mismatches; all repeated to 200",
    )
