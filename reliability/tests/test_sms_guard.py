"""The SMS guard under live attack (issues 25 and 27), against real servers on PostgreSQL and
Redis: SMS pumping at one prefix from ever new addresses, and a stranger hammering someone's
number while its owner signs in."""

import time
from collections import Counter

from reliability.harness import (
    HIGH_LIMITS,
    login,
    parallel,
    phones,
    post,
    random_ip,
    requires_services,
)

pytestmark = requires_services

SEND = "/api/auth/send-code/"
VERIFY = "/api/auth/verify-code/"


def test_a_pumped_prefix_pauses_for_new_numbers_while_known_ones_and_others_go_on(
    group_factory, figure
):
    grp = group_factory(TRUSTED_PROXIES="127.0.0.1,::1", SMS_PUMPING_GUARD="True", **HIGH_LIMITS)
    server = grp.add(workers=2, threads=8)
    known = login(grp, server.url)  # a +7999 number that has an account: 1 sent, 1 verified
    pumped = [phones.take() for _ in range(300)]  # new +7999 numbers

    def pump(phone: str) -> tuple[int, str, str]:
        r = post(
            server.url, SEND, {"phone_number": phone}, headers={"X-Forwarded-For": random_ip()}
        )
        return r.status_code, r.json().get("code", ""), r.headers.get("Retry-After", "")

    results = parallel(pump, pumped, 100)
    statuses = Counter((status, code) for status, code, _ in results)
    # The breaker judges each send before it counts: the 50th attempt in the window (the known
    # number's login and 49 new ones, 1 verified of 50) trips it; exactly that many go through.
    assert statuses == {(200, ""): 49, (503, "sms_paused"): 251}, statuses
    waits = {int(wait) for status, _, wait in results if status == 503}
    assert waits and all(3500 <= wait <= 3600 for wait in waits), waits
    assert sum(grp.inbox.count(phone) for phone in pumped) == 49
    # The number of an existing account of that prefix, and a new number of another, go on.
    again = post(
        server.url, SEND, {"phone_number": known.phone}, headers={"X-Forwarded-For": random_ip()}
    )
    assert again.status_code == 200, again.text
    code = grp.inbox.last_code(known.phone)
    signed_in = post(server.url, VERIFY, {"phone_number": known.phone, "auth_code": code})
    assert signed_in.status_code == 200, signed_in.text
    other = post(
        server.url, SEND, {"phone_number": "+79161234567"}, headers={"X-Forwarded-For": random_ip()}
    )
    assert other.status_code == 200, other.text
    pauses = [line for line in server.log_text().splitlines() if "breaker sms_pumping" in line]
    assert len(pauses) == 1 and "WARNING" in pauses[0], pauses
    figure(
        "SMS pumping",
        "300 new +7999 numbers from 100 threads and random addresses: "
        f"{statuses[(200, '')]} sent, {statuses[(503, 'sms_paused')]} x 503 sms_paused "
        f"(Retry-After {min(waits)}-{max(waits)} s), the pause logged once; then a known "
        "+7999 number and a new +7916 one: 200",
    )


def test_a_stranger_hammering_a_phone_leaves_its_owner_a_way_in(group_factory, figure):
    grp = group_factory(TRUSTED_PROXIES="127.0.0.1,::1", AUTH_CODE_RESEND_INTERVAL="1")
    server = grp.add(workers=2, threads=8)
    owner = phones.take()
    stranger = iter(f"66.6.6.{n}" for n in range(1, 255))  # one /24, a new address each time

    def as_stranger(path: str, body: dict[str, str]) -> int:
        r = post(server.url, path, body, headers={"X-Forwarded-For": next(stranger)})
        return int(r.status_code)

    sends, guesses = [], []
    for _ in range(6):  # codes to the owner's number, each guessed wrong five times
        sends.append(as_stranger(SEND, {"phone_number": owner}))
        if sends[-1] == 200:
            right = grp.inbox.last_code(owner)
            wrong = f"{(int(right) + 1) % 10**6:06d}"
            for _ in range(5):
                guesses.append(as_stranger(VERIFY, {"phone_number": owner, "auth_code": wrong}))
        time.sleep(1.1)  # the resend interval
    assert sends == [200] * 5 + [429], sends
    assert Counter(guesses) == {400: 20, 429: 5}, guesses
    # The owner, from their own network: a code, and in.
    home = {"X-Forwarded-For": "77.7.7.7"}
    assert post(server.url, SEND, {"phone_number": owner}, headers=home).status_code == 200
    code = grp.inbox.last_code(owner)
    signed_in = post(server.url, VERIFY, {"phone_number": owner, "auth_code": code}, headers=home)
    assert signed_in.status_code == 200, signed_in.text
    figure(
        "a stranger hammering a phone",
        f"from one /24: sends {dict(Counter(sends))}, wrong guesses {dict(Counter(guesses))}; "
        "then the owner from another network: code sent, signed in",
    )
