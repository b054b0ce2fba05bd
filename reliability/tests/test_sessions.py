"""Login sessions over HTTP against live production servers: stolen refresh tokens, two tabs,
log-out everywhere racing refreshes, deactivation in the admin, a hundred sessions."""

import re
import subprocess
import sys
import threading
import time
from typing import Any

import requests

from reliability.harness import (
    HIGH_LIMITS,
    REPO,
    Account,
    Group,
    get,
    login,
    phones,
    post,
    requires_services,
    together,
)

pytestmark = requires_services

REFRESH = "/api/auth/token/refresh/"
PROFILE = "/api/profile/"
SESSIONS = "/api/auth/sessions/"
LOGOUT_ALL = "/api/auth/logout-all/"
DIES_WITHIN = 1.0  # seconds: how soon an ended session's access tokens must stop working
MANY_LOGINS = {**HIGH_LIMITS, "AUTH_CODE_RESEND_INTERVAL": "0"}


def refresh(base: str, token: str) -> Any:
    return post(base, REFRESH, {"refresh": token})


def dead_within(check: Any, seconds: float = DIES_WITHIN) -> int:
    """How many tries ``check()`` took to be true (it must become so within ``seconds``)."""
    started, tries = time.monotonic(), 1
    while not check():
        assert time.monotonic() - started < seconds, "still alive"
        time.sleep(0.02)
        tries += 1
    return tries


def refused(base: str, access: str) -> bool:
    response = get(base, PROFILE, access)
    return response.status_code == 401 and response.json()["code"] == "token_not_valid"


def test_a_victims_reuse_after_the_grace_window_ends_the_thiefs_chain(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS, JWT_REFRESH_REUSE_GRACE="2")
    one, two = grp.add(), grp.add()
    victim = login(grp, one.url)
    # The thief copied the victim's refresh token and keeps rotating it, on either instance.
    stolen = refresh(two.url, victim.refresh).json()
    stolen = refresh(one.url, stolen["refresh"]).json()
    assert get(two.url, PROFILE, stolen["access"]).status_code == 200
    time.sleep(2.5)  # past the grace window: the victim's app refreshes with its copy
    reuse = refresh(one.url, victim.refresh)
    assert reuse.status_code == 401 and reuse.json()["code"] == "token_not_valid"
    waited = max(
        dead_within(lambda base=base: refused(base, stolen["access"]))
        for base in (one.url, two.url)
    )
    assert refresh(two.url, stolen["refresh"]).status_code == 401
    assert refused(one.url, victim.access)  # the victim's own access died with the session
    again = login(grp, one.url, victim.phone)  # and a new login works
    assert get(two.url, PROFILE, again.access).status_code == 200
    figure(
        "sessions: thief and victim",
        "victim's reuse 2.5 s after the thief's rotation: 401; thief's refresh 401 and access "
        f"401 on both instances ({'at the first request' if waited == 1 else f'{waited} tries'}"
        "); a new login 200",
    )


def test_two_tabs_reusing_inside_the_grace_window_stay_signed_in(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)  # the default window: 10 s
    one, two = grp.add(workers=2, threads=4), grp.add(workers=2, threads=4)
    account = login(grp, one.url)
    # Both tabs refresh the same token at once: one rotation wins, and every tab gets its
    # pair (the grace window answers a spent token with the pair it was given).
    results = together(
        [lambda: refresh(one.url, account.refresh)] * 2
        + [lambda: refresh(two.url, account.refresh)]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 200], codes
    pairs = {r.text for r in results}
    assert len(pairs) == 1, pairs  # one chain, byte for byte
    winner = results[0].json()
    # A tab retries with the old token a little later (a lost answer): the same pair again.
    time.sleep(1)
    late = refresh(two.url, account.refresh)
    assert late.status_code == 200 and late.json() == winner
    assert get(one.url, PROFILE, winner["access"]).status_code == 200
    assert get(two.url, PROFILE, account.access).status_code == 200  # same session, still live
    going_on = refresh(two.url, winner["refresh"])
    assert going_on.status_code == 200
    listed = get(one.url, SESSIONS, going_on.json()["access"]).json()
    assert len(listed) == 1 and listed[0]["current"] is True
    figure(
        "sessions: two tabs",
        f"3 concurrent refreshes of one token on 2 instances: {codes}, one pair; the old token "
        "again 1 s later: the same pair; the session lives on (profile 200, refresh 200, 1 "
        "session listed)",
    )


def _chain(base: str, token: str, stop: threading.Event, log: list[tuple[float, int, Any]]) -> None:
    """Refresh a session's chain until told to stop; log (sent at, status, new pair)."""
    while not stop.is_set():
        sent = time.monotonic()
        response = refresh(base, token)
        body = response.json() if response.status_code == 200 else None
        log.append((sent, response.status_code, body))
        if body is None:
            return
        token = body["refresh"]


def test_log_out_everywhere_racing_refreshes(group_factory, figure):
    grp = group_factory(**MANY_LOGINS)
    one, two = grp.add(workers=2, threads=4), grp.add(workers=2, threads=4)
    trials, refreshed_before, late_refused = 5, 0, 0
    for _ in range(trials):
        phone = phones.take()
        devices = [login(grp, (one.url, two.url)[i % 2], phone) for i in range(4)]
        stop = threading.Event()
        logs: list[list[tuple[float, int, Any]]] = [[] for _ in devices]
        workers = [
            threading.Thread(
                target=_chain, args=((one.url, two.url)[i % 2], d.refresh, stop, logs[i])
            )
            for i, d in enumerate(devices)
        ]
        for worker in workers:
            worker.start()
        time.sleep(0.3)  # let the chains run
        response = post(one.url, LOGOUT_ALL, token=devices[0].access)
        returned = time.monotonic()
        assert response.status_code == 204
        time.sleep(0.3)
        stop.set()
        for worker in workers:
            worker.join()
        pairs = [body for log in logs for _, status, body in log if status == 200]
        for sent, status, _ in (entry for log in logs for entry in log):
            if sent > returned:
                assert status == 401, "a refresh sent after log-out-everywhere succeeded"
                late_refused += 1
        refreshed_before += len(pairs)
        assert pairs, "the chains did not run before the log-out"
        for pair in [*pairs, *({"access": d.access, "refresh": d.refresh} for d in devices)]:
            assert refused(two.url, pair["access"])
            assert refresh(one.url, pair["refresh"]).status_code == 401
    figure(
        "sessions: log out everywhere vs refreshes",
        f"{trials} trials, 4 sessions refreshing in loops on 2 instances: {refreshed_before} "
        f"refreshes succeeded before, {late_refused} sent after it returned all 401; every token "
        "any of them gave is refused afterwards",
    )


def _admin(grp: Group, base: str, phone: str, password: str) -> requests.Session:
    """A browser signed in to the admin with a staff password."""
    script = (
        "from users.models import User; "
        f"User.objects.create_superuser(phone_number='{phone}', password='{password}')"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=grp.env, check=True
    )
    browser = requests.Session()
    page = browser.get(base + "/admin/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    signed_in = browser.post(
        base + "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token[1], "username": phone, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def admin_group(group_factory: Any, tmp_path: Any) -> Group:
    """A group whose servers serve the admin over plain http, with the collected static files
    its pages need, as the image has them."""
    static = {"STATIC_ROOT": str(tmp_path / "static")}
    grp: Group = group_factory(
        **MANY_LOGINS, **static, SESSION_COOKIE_SECURE="False", CSRF_COOKIE_SECURE="False"
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=grp.env,
        check=True,
    )
    return grp


def test_deactivating_a_user_in_the_admin_ends_their_sessions(group_factory, figure, tmp_path):
    grp = admin_group(group_factory, tmp_path)
    one, two = grp.add(), grp.add()
    user = login(grp, one.url)
    other_device = login(grp, two.url, user.phone)
    bystander = login(grp, one.url)
    admin = _admin(grp, one.url, phones.take(), "a-long-staff-password-0123")
    change = f"{one.url}/admin/users/user/{user.user_id}/change/"
    form = admin.get(change, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token
    saved = admin.post(
        change,
        data={"csrfmiddlewaretoken": token[1], "phone_number": user.phone},  # is_active unticked
        allow_redirects=False,
        timeout=30,
    )
    assert saved.status_code == 302, saved.text[:2000]
    waited = max(
        dead_within(lambda a=a, base=base: refused(base, a.access))
        for a in (user, other_device)
        for base in (one.url, two.url)
    )
    for account in (user, other_device):
        assert refresh(two.url, account.refresh).status_code == 401
    assert get(two.url, PROFILE, bystander.access).status_code == 200
    sent = post(one.url, "/api/auth/send-code/", {"phone_number": user.phone})
    assert sent.status_code == 200
    code = grp.inbox.last_code(user.phone)
    again = post(one.url, "/api/auth/verify-code/", {"phone_number": user.phone, "auth_code": code})
    assert again.status_code == 403 and again.json()["code"] == "user_inactive"
    figure(
        "sessions: deactivation",
        "user unticked 'active' in the admin: both sessions' access tokens 401 on both "
        f"instances ({'at the first request' if waited == 1 else f'{waited} tries'}), "
        "refresh 401, login 403; another user 200",
    )


def test_a_hundred_sessions_are_listed_newest_first(group_factory, figure):
    grp = group_factory(**MANY_LOGINS)
    one = grp.add()
    phone = phones.take()
    accounts: list[Account] = []
    for i in range(100):
        accounts.append(
            login(grp, one.url, phone) if i % 2 else _login_as(grp, one.url, phone, f"device {i}")
        )
    started = time.monotonic()
    response = get(one.url, SESSIONS, accounts[-1].access)
    took = time.monotonic() - started
    assert response.status_code == 200
    listed = response.json()
    assert len(listed) == 100
    assert len({s["id"] for s in listed}) == 100
    assert [s["created_at"] for s in listed] == sorted(
        (s["created_at"] for s in listed), reverse=True
    )
    assert [s["current"] for s in listed] == [True] + [False] * 99
    assert listed[-1]["user_agent"] == "device 0"
    assert all(s["ip"] == "127.0.0.0/24" for s in listed)
    # Every one of them is a live session of its own.
    assert all(get(one.url, PROFILE, a.access).status_code == 200 for a in accounts[::10])
    figure(
        "sessions: 100 listed",
        f"100 logins of one number: GET {SESSIONS} lists 100, newest first, 1 current, "
        f"in {took * 1000:.0f} ms",
    )


def _login_as(grp: Group, base: str, phone: str, user_agent: str) -> Account:
    assert post(base, "/api/auth/send-code/", {"phone_number": phone}).status_code == 200
    code = grp.inbox.last_code(phone)
    done = post(
        base,
        "/api/auth/verify-code/",
        {"phone_number": phone, "auth_code": code},
        headers={"User-Agent": user_agent},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    return Account(phone, body["user_id"], body["access"], body["refresh"])
