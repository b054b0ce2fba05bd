"""Abuse: code guessing, SMS pumping, account enumeration, referral fraud, over HTTP."""

import os
import random
import time
from collections import Counter

from reliability.harness import (
    HIGH_LIMITS,
    consistency,
    get,
    login,
    parallel,
    phones,
    post,
    random_ip,
    requires_services,
    together,
    with_invite_code,
)

pytestmark = requires_services

SEND = "/api/auth/send-code/"
VERIFY = "/api/auth/verify-code/"
INVITE = "/api/profile/invite/"
TRIALS = int(os.environ.get("RELIABILITY_TRIALS", "100"))


def _wrong(code: str) -> str:
    while True:
        guess = f"{random.randrange(10**6):06d}"
        if guess != code:
            return guess


def test_guessing_is_capped_per_code_and_per_phone(group_factory, figure):
    # Loopback a trusted proxy: every forged X-Forwarded-For counts as a new client address,
    # so the per-IP limit is no help and only the per-code and per-phone caps stand.
    grp = group_factory(TRUSTED_PROXIES="127.0.0.1,::1", AUTH_CODE_RESEND_INTERVAL="1")
    server = grp.add(workers=2, threads=8)

    def guess(phone: str, code: str) -> tuple[int, dict]:
        r = post(
            server.url,
            VERIFY,
            {"phone_number": phone, "auth_code": code},
            headers={"X-Forwarded-For": random_ip()},
        )
        return r.status_code, r.json()

    # One code survives five wrong checks at most, however parallel they are.
    first = phones.take()
    assert post(server.url, SEND, {"phone_number": first}).status_code == 200
    right = grp.inbox.last_code(first)
    burst = together([lambda: guess(first, _wrong(right)) for _ in range(6)])
    assert sorted(body["code"] for _, body in burst) == ["code_dead"] + ["invalid_code"] * 5
    wrong = [body["attempts_left"] for _, body in burst if body["code"] == "invalid_code"]
    assert sorted(wrong) == [0, 1, 2, 3, 4]
    dead = guess(first, right)
    assert dead[0] == 400
    assert dead[1]["code"] == "code_dead"  # the right code, too late: a new one is needed

    # 1,000 wrong codes for one phone from 100 threads: the code dies after its five, and
    # the rest find it dead (400, and not held against the number's owner).
    phone = phones.take()
    assert post(server.url, SEND, {"phone_number": phone}).status_code == 200
    right = grp.inbox.last_code(phone)
    results = parallel(lambda _: guess(phone, _wrong(right)), list(range(1000)), 100)
    statuses = Counter(status for status, _ in results)
    assert statuses == {400: 1000}, statuses
    assert guess(phone, right)[0] == 400  # dead

    # Fresh codes (each asked for from a new address), five wrong guesses each in parallel:
    # 40 failures an hour in all (the phone's cap from every network together, twice one
    # network's 20), after which even the right code of a fresh send is refused.
    def fresh_code() -> None:
        time.sleep(1.1)
        headers = {"X-Forwarded-For": random_ip()}
        sent = post(server.url, SEND, {"phone_number": phone}, headers=headers)
        assert sent.status_code == 200, sent.text

    for _ in range(7):
        fresh_code()
        code = grp.inbox.last_code(phone)
        burst5 = together([lambda c=code: guess(phone, _wrong(c))] * 5)
        assert Counter(s for s, _ in burst5) == {400: 5}
    fresh_code()
    refused = guess(phone, grp.inbox.last_code(phone))
    assert refused[0] == 429
    assert "access" not in refused[1]
    left = [body.get("attempts_left", "dead") for _, body in burst]
    figure(
        "code guessing",
        f"6 parallel wrong checks on one code: attempts_left {sorted(left, key=str)}, "
        f"right code then 400 code_dead; 1000 wrong codes/100 threads/random XFF: "
        f"{statuses[400]} x 400 (5 on the code, the rest on a dead one); 40 failures over 8 "
        "codes, then the right fresh code: 429",
    )


def test_the_per_phone_failure_cap_holds_under_a_parallel_burst(group_factory, figure):
    # A code that would take 1,000 wrong checks, so only the per-phone cap (40 failures an
    # hour from all networks together) stands between 100 threads and the number: exactly
    # 40 are checked, 960 refused.
    grp = group_factory(TRUSTED_PROXIES="127.0.0.1,::1", AUTH_CODE_MAX_ATTEMPTS="1000")
    server = grp.add(workers=2, threads=8)
    phone = phones.take()
    assert post(server.url, SEND, {"phone_number": phone}).status_code == 200
    right = grp.inbox.last_code(phone)

    def guess(_: int) -> int:
        body = {"phone_number": phone, "auth_code": _wrong(right)}
        return post(server.url, VERIFY, body, headers={"X-Forwarded-For": random_ip()}).status_code

    statuses = Counter(parallel(guess, list(range(1000)), 100))
    assert statuses == {400: 40, 429: 960}, statuses
    figure(
        "per-phone failure cap",
        f"1000 wrong codes/100 threads/random XFF on a code allowing 1000 checks: {dict(statuses)}",
    )


def test_sms_pumping_sends_nothing_abroad_and_one_per_phone(group_factory, figure):
    grp = group_factory(TRUSTED_PROXIES="127.0.0.1,::1")
    server = grp.add(workers=2, threads=8)

    def send(phone: str) -> tuple[int, str]:
        r = post(
            server.url, SEND, {"phone_number": phone}, headers={"X-Forwarded-For": random_ip()}
        )
        return r.status_code, r.json()["code"] if r.status_code != 200 else "sent"

    # Consecutive UK mobile numbers: valid numbers of a region we do not serve.
    abroad = parallel(send, [f"+447400{n:06d}" for n in range(1000)], 50)
    assert Counter(abroad) == {(400, "phone_region_not_allowed"): 1000}
    assert grp.inbox.count() == 0

    phone = phones.take()
    started = time.monotonic()
    burst = parallel(send, [phone] * 100, 100)
    seconds = time.monotonic() - started
    assert seconds < 60
    assert Counter(burst) == {(200, "sent"): 1, (429, "too_many_requests"): 99}
    assert grp.inbox.count() == 1
    figure(
        "SMS pumping",
        f"1000 send-codes to consecutive +44 numbers: 1000 x 400, 0 SMS; "
        f"100 send-codes to one phone in {seconds:.1f}s: 1 x 200, 99 x 429, 1 SMS",
    )


def _shape(response) -> tuple[int, list[str], dict[str, str]]:
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() != "date"}
    return response.status_code, sorted(response.json()), headers


def test_send_code_does_not_tell_registered_from_unregistered(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)
    server = grp.add()
    registered = login(grp, server.url).phone
    unregistered = phones.take()
    time.sleep(1.1)  # past the resend interval of the login

    first = [post(server.url, SEND, {"phone_number": p}) for p in (registered, unregistered)]
    again = [post(server.url, SEND, {"phone_number": p}) for p in (registered, unregistered)]
    wrong = [
        post(server.url, VERIFY, {"phone_number": p, "auth_code": _wrong(grp.inbox.last_code(p))})
        for p in (registered, unregistered)
    ]
    assert _shape(first[0]) == _shape(first[1])
    assert first[0].status_code == 200
    assert [r.status_code for r in again] == [429, 429]
    assert _shape(again[0])[:2] == _shape(again[1])[:2]
    assert sorted(_shape(again[0])[2]) == sorted(_shape(again[1])[2])
    assert wrong[0].status_code == wrong[1].status_code == 400
    assert wrong[0].json() == wrong[1].json()
    figure(
        "enumeration",
        "send-code registered vs new: same 200, body keys and headers (but Date); "
        "resend: same 429 shape; wrong code: identical 400 bodies",
    )


def _accounts(grp, base: str, n: int) -> list:
    return parallel(lambda _: with_invite_code(base, login(grp, base)), list(range(n)), 16)


def _activate(base: str, account, code: str):
    return lambda: post(base, INVITE, {"invite_code": code}, account.access)


def test_referral_fraud_races_and_loops_over_http(group_factory, figure, live_db):
    grp = group_factory(**HIGH_LIMITS)
    base = grp.add(workers=2, threads=8).url

    inviters = _accounts(grp, base, 50)
    many = []
    for user in _accounts(grp, base, TRIALS):
        results = together([_activate(base, user, i.invite_code) for i in inviters])
        statuses = Counter(r.status_code for r in results)
        assert statuses[200] == 1, statuses
        assert set(statuses) <= {200, 409, 429}, statuses
        winner = next(i for i, r in zip(inviters, results, strict=True) if r.status_code == 200)
        profile = get(base, "/api/profile/", user.access).json()
        assert profile["activated_invite_code"] == winner.invite_code
        many.append(statuses)

    pairs = _accounts(grp, base, 2 * TRIALS)
    for a, b in zip(pairs[::2], pairs[1::2], strict=True):
        results = together([_activate(base, a, b.invite_code), _activate(base, b, a.invite_code)])
        outcome = sorted((r.status_code, r.json().get("code")) for r in results)
        assert [s for s, _ in outcome] == [200, 409], outcome
        assert outcome[1][1] == "invite_cycle"

    triples = _accounts(grp, base, 3 * TRIALS)
    for a, b, c in zip(triples[::3], triples[1::3], triples[2::3], strict=True):
        results = together(
            [
                _activate(base, a, b.invite_code),
                _activate(base, b, c.invite_code),
                _activate(base, c, a.invite_code),
            ]
        )
        outcome = sorted((r.status_code, r.json().get("code")) for r in results)
        assert [s for s, _ in outcome] == [200, 200, 409], outcome
        assert outcome[2][1] == "invite_cycle"

    broken = consistency(live_db)
    assert broken == {k: 0 for k in broken}, broken
    counts = sum(many, Counter())
    figure(
        "referral fraud over HTTP",
        f"{TRIALS} trials x 50 concurrent activations by one user: exactly one 200 each "
        f"({counts[409]} x 409, {counts[429]} x 429 in all); {TRIALS} A<->B races: one 200 + "
        f"one invite_cycle each; {TRIALS} three-way loops: two 200 + one invite_cycle each; "
        "0 cycles, 0 count mismatches in the database",
    )


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in open(f"/proc/{pid}/status").read().splitlines():  # noqa: SIM115
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def test_a_worker_holds_no_memory_for_tokens_it_refuses(group_factory, figure):
    """Thousands of distinct oversized or non-canonical spellings of one valid token: each is
    refused unread (401), and the workers' memory stays flat."""
    grp = group_factory(**HIGH_LIMITS)
    server = grp.add(workers=2)
    account = login(grp, server.url)
    header, payload, signature = account.access.split(".")
    pids = server.worker_pids()

    def spelling(n: int) -> str:
        # Characters outside base64url that a lenient decoder skips, placed to spell n:
        # every one decodes to the same signature. Half are also 7 KB long.
        junk = "".join("!*"[int(bit)] for bit in f"{n:016b}")
        pad = "!" * 7000 if n % 2 else ""
        return f"{header}.{payload}.{signature}{junk}{pad}"

    for n in range(200):  # warm both workers up first, on both paths
        assert get(server.url, "/api/profile/", account.access).status_code == 200
        assert get(server.url, "/api/profile/", spelling(2**16 - 1 - n)).status_code == 401
    before = _rss_kib(pids)

    statuses = Counter(
        parallel(
            lambda n: get(server.url, "/api/profile/", spelling(n)).status_code,
            list(range(4000)),
            8,
        )
    )
    after = _rss_kib(pids)
    assert statuses == {401: 4000}, statuses
    assert after - before < 8 * 1024, (before, after)  # KiB
    figure(
        "token input",
        f"4,000 distinct non-canonical spellings of a valid token (half 7 KB): all 401; "
        f"workers' RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB",
    )
