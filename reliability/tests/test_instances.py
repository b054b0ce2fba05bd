"""Three server processes sharing PostgreSQL and Redis behave as one service."""

import time

from reliability.harness import (
    HIGH_LIMITS,
    get,
    login,
    phones,
    post,
    random_ip,
    requires_services,
    together,
)

pytestmark = requires_services

SEND = "/api/auth/send-code/"
REFRESH = "/api/auth/token/refresh/"


def _send(base: str, phone: str, ip: str) -> int:
    return post(base, SEND, {"phone_number": phone}, headers={"X-Forwarded-For": ip}).status_code


def test_a_code_sent_through_one_instance_is_accepted_by_another(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)
    one, two, three = grp.add(), grp.add(), grp.add()
    account = login(grp, one.url, verify_base=two.url)
    for server in (one, two, three):
        assert get(server.url, "/api/profile/", account.access).status_code == 200
    figure(
        "three instances",
        f"code sent via :{one.port} verified via :{two.port}; "
        "the profile read through all three -> 200",
    )


def test_limits_count_across_instances(group_factory, figure):
    grp = group_factory(
        TRUSTED_PROXIES="127.0.0.1,::1",
        AUTH_SEND_PER_IP_HOUR="4",
        AUTH_CODE_SENDS_PER_PHONE_HOUR="2",
        AUTH_CODE_RESEND_INTERVAL="1",
        SMS_DAILY_BUDGET="10",
    )
    a, b, c = grp.add(), grp.add(), grp.add()
    every = [a.url, b.url, c.url]

    one_ip = random_ip()
    per_ip = [_send(every[i % 3], phones.take(), one_ip) for i in range(6)]
    assert per_ip == [200, 200, 200, 200, 429, 429]

    # A phone's hourly sends count per client network (and, twice as many, per phone: one
    # stranger's network cannot spend the owner's): from one address, the third is refused.
    phone, one_client = phones.take(), random_ip()
    per_phone = []
    for i in range(3):
        per_phone.append(_send(every[i % 3], phone, one_client))
        time.sleep(1.1)  # past the resend interval
    assert per_phone == [200, 200, 429]

    cooldown_phone = phones.take()
    cooldown = [
        _send(a.url, cooldown_phone, random_ip()),
        _send(b.url, cooldown_phone, random_ip()),
    ]
    assert cooldown == [200, 429]

    sent_before_budget = grp.inbox.count()  # 4 + 2 + 1
    budget = [_send(every[i % 3], phones.take(), random_ip()) for i in range(6)]
    # New numbers get the site's budget less the share kept for known ones: whatever is left
    # goes out, then every instance answers 503, the count shared.
    left = budget.count(200)
    assert left >= 1 and budget == [200] * left + [503] * (6 - left), budget
    assert grp.inbox.count() == sent_before_budget + left <= 10
    figure(
        "limits across 3 instances",
        f"per-IP 4/h: {per_ip.count(200)} of 6 sent; per-phone 2/h: {per_phone}; "
        f"resend cooldown: {cooldown}; daily budget 10: SMS sent {grp.inbox.count()}, then 503",
    )


def test_refresh_rotation_holds_across_instances(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)
    servers = [grp.add(workers=2, threads=2) for _ in range(3)]
    account = login(grp, servers[0].url)
    refresh = account.refresh
    trials = 20
    for _ in range(trials):
        calls = [
            (lambda base=server.url, token=refresh: post(base, REFRESH, {"refresh": token}))
            for server in servers * 4
        ]
        results = together(calls)
        codes = sorted(r.status_code for r in results)
        # One rotation wins; the others, inside the grace window, get that very pair.
        assert codes == [200] * 12, codes
        assert len({r.text for r in results}) == 1
        refresh = results[0].json()["refresh"]
    figure(
        "refresh rotation across 3 instances",
        f"{trials} trials x 12 concurrent refreshes of one token (4 per instance): "
        "one pair each time, the same bytes to all 12",
    )
