"""The admin's password form under attack, against live production servers (issue 25): a
stream of logins from ever new IPv6 networks cannot make the API slow, and failures from
elsewhere never lock the account's owner out of a browser that signed in before."""

from __future__ import annotations

import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests

from reliability.harness import HIGH_LIMITS, REPO, Group, get, login, phones, requires_services

pytestmark = requires_services

LOGIN = "/admin/login/?next=/admin/"
DEVICE_COOKIE = "admin_device"
STAFF_PASSWORD = "a-long-staff-password-0123"
ATTACK_SECONDS = 12
ATTACK_THREADS = 16
# The admin's form needs its CSRF cookie back over plain HTTP; loopback is the proxy that says
# who the client is.
ADMIN_ENV = {
    **HIGH_LIMITS,
    "TRUSTED_PROXIES": "127.0.0.1,::1",
    "SESSION_COOKIE_SECURE": "False",
    "CSRF_COOKIE_SECURE": "False",
}


def _staff(grp: Group) -> str:
    phone = phones.take()
    script = (
        "from users.models import User; "
        f"User.objects.create_superuser(phone_number='{phone}', password='{STAFF_PASSWORD}')"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=grp.env, check=True
    )
    return phone


def random_ipv6() -> str:
    """An address in a /48 of its own (so in a /64 of its own too)."""
    groups = [f"{secrets.randbelow(0x10000):x}" for _ in range(8)]
    return ":".join(["2a0" + f"{secrets.randbelow(16):x}", *groups[1:]])


class Browser:
    """A browser at ``address`` (told through the trusted proxy's X-Forwarded-For) with the
    admin's login form loaded, holding a device cookie if given one."""

    def __init__(self, base: str, address: str, device_cookie: str | None = None) -> None:
        self.base, self.address = base, address
        self.session = requests.Session()
        if device_cookie is not None:
            # The server sets it Secure: a real browser sends it back over HTTPS; this test
            # speaks plain HTTP, so it hands the cookie over itself.
            self.session.cookies.set(DEVICE_COOKIE, device_cookie)
        page = self.session.get(base + LOGIN, headers=self._headers(), timeout=30)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, (page.status_code, page.text[:300])
        self.token = found[1]

    def _headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address}

    def sign_in(self, account: str, password: str, address: str | None = None) -> Any:
        """The form sent, from ``address`` if given (a client on the move)."""
        return self.session.post(
            self.base + LOGIN,
            data={"csrfmiddlewaretoken": self.token, "username": account, "password": password},
            headers={"X-Forwarded-For": address or self.address},
            allow_redirects=False,
            timeout=60,
        )


def _device_cookie(response: Any) -> str:
    header = next(
        part
        for part in response.raw.headers.getlist("Set-Cookie")
        if part.startswith(DEVICE_COOKIE)
    )
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/admin/", "Max-Age=7776000"):
        assert flag in header, header
    return response.cookies[DEVICE_COOKIE]


def _latencies(base: str, token: str, seconds: float) -> list[float]:
    """Profile reads one after another for ``seconds``: their times in ms."""
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        assert get(base, "/api/profile/", token).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return times


def _under_stream(
    base: str, token: str, each: Callable[[Browser], Any]
) -> tuple[list[float], Counter[int]]:
    """The API's latencies while ATTACK_THREADS browsers call ``each`` for ATTACK_SECONDS,
    and the statuses they got."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + ATTACK_SECONDS

    def stream() -> None:
        browser = Browser(base, random_ipv6())  # the form once
        while time.monotonic() < deadline:
            status = each(browser).status_code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=stream) for _ in range(ATTACK_THREADS)]
    for thread in threads:
        thread.start()
    latencies = _latencies(base, token, ATTACK_SECONDS)
    for thread in threads:
        thread.join()
    return latencies, statuses


def test_logins_from_ever_new_networks_neither_hash_freely_nor_slow_the_api(
    group_factory, figure, static_root
):
    grp = group_factory(**ADMIN_ENV, STATIC_ROOT=static_root)
    server = grp.add(workers=2, threads=2)  # the image's shape
    account = login(grp, server.url)
    owner = _staff(grp)
    quiet = _latencies(server.url, account.access, 3)
    # The same stream of requests that check no password (the login form, shown): what any
    # volume costs the API on this machine, the yardstick for the attack's.
    volume, shown = _under_stream(
        server.url,
        account.access,
        lambda browser: browser.session.get(server.url + LOGIN, timeout=60),
    )
    assert set(shown) == {200}

    signed_in = Browser(server.url, "2001:db8:1::1").sign_in(owner, STAFF_PASSWORD)
    assert signed_in.status_code == 302
    # The attack: logins to random accounts, each from a new IPv6 /48 (so a new /64).
    attacked, statuses = _under_stream(
        server.url,
        account.access,
        lambda browser: browser.sign_in(phones.take(), secrets.token_urlsafe(12), random_ipv6()),
    )
    hashed = statuses[200]  # the form again: a password was checked
    assert set(statuses) <= {200, 429}, statuses
    assert hashed <= 5 - 1, statuses  # ADMIN_LOGIN_SITE_PER_MINUTE, the owner's sign-in included
    medians = [statistics.median(times) for times in (quiet, volume, attacked)]
    assert medians[2] < 2 * medians[1] + 20, medians

    # The site is closed to browsers it does not know; the owner's browser signs in.
    assert Browser(server.url, random_ipv6()).sign_in(owner, STAFF_PASSWORD).status_code == 429
    device = _device_cookie(signed_in)
    again = Browser(server.url, random_ipv6(), device).sign_in(owner, STAFF_PASSWORD)
    assert again.status_code == 302
    figure(
        "admin logins: CPU",
        f"{ATTACK_THREADS} threads x {ATTACK_SECONDS}s of logins to random accounts, each from "
        f"a new IPv6 /48: {statuses.total()} tried, {hashed} hashed, {statuses[429]} x 429 "
        f"before the hash; the API's median {medians[0]:.0f} ms quiet, {medians[1]:.0f} ms under "
        f"the same threads viewing the form ({shown.total()}), {medians[2]:.0f} ms under the "
        f"attack (max {max(attacked):.0f} ms); then a new browser with the right password 429, "
        "the owner's known browser 302",
    )


def test_one_ipv6_48_is_one_network_however_many_64s_it_uses(group_factory, figure, static_root):
    # The site-wide caps lifted, the network's own (8 an hour here) is what holds.
    grp = group_factory(
        **ADMIN_ENV,
        STATIC_ROOT=static_root,
        ADMIN_LOGIN_SITE_PER_MINUTE="1000",
        ADMIN_LOGIN_SITE_PER_HOUR="1000",
        ADMIN_LOGIN_PER_NETWORK_HOUR="8",
    )
    server = grp.add(workers=2, threads=2)

    def from_a_new_64(n: int) -> int:
        address = f"2001:db8:77:{n:x}::1"
        return Browser(server.url, address).sign_in(phones.take(), "wrong").status_code

    statuses = Counter(from_a_new_64(n) for n in range(20))
    assert statuses == {200: 8, 429: 12}, statuses
    another = Browser(server.url, "2001:db8:78::1").sign_in(phones.take(), "wrong")
    assert another.status_code == 200
    figure(
        "admin logins: one /48",
        f"20 logins from 20 /64s of one /48: {dict(statuses)}; another /48: 200",
    )


def test_failures_from_elsewhere_never_lock_the_owner_out(group_factory, figure, static_root):
    # The site-wide caps lifted, so the account's own limit is what the attack meets.
    grp = group_factory(
        **ADMIN_ENV,
        STATIC_ROOT=static_root,
        ADMIN_LOGIN_SITE_PER_MINUTE="1000",
        ADMIN_LOGIN_SITE_PER_HOUR="1000",
    )
    server = grp.add(workers=2, threads=2)
    owner = _staff(grp)
    signed_in = Browser(server.url, "192.0.2.1").sign_in(owner, STAFF_PASSWORD)
    assert signed_in.status_code == 302
    device = _device_cookie(signed_in)

    wrong = [
        Browser(server.url, f"198.51.100.{n + 1}").sign_in(owner, "wrong").status_code
        for n in range(10)
    ]
    assert wrong == [200] * 10
    stranger = Browser(server.url, "203.0.113.1").sign_in(owner, STAFF_PASSWORD)
    assert stranger.status_code == 429
    # The owner's browser, from an address it never used.
    owners = Browser(server.url, "203.0.113.2", device).sign_in(owner, STAFF_PASSWORD)
    assert owners.status_code == 302

    # The cookie stolen: its own 5 failures, then it is one more stranger (locked out).
    thief = Browser(server.url, "203.0.113.3", device)
    stolen = [thief.sign_in(owner, "guess").status_code for _ in range(5)]
    assert stolen == [200] * 5
    assert thief.sign_in(owner, "guess").status_code == 429
    # The owner, signed in again since, holds a new cookie with its own allowance.
    fresh = _device_cookie(owners)
    assert (
        Browser(server.url, "203.0.113.4", fresh).sign_in(owner, STAFF_PASSWORD).status_code == 302
    )
    figure(
        "admin logins: the owner",
        "10 wrong passwords from 10 addresses: then a new browser with the right one 429, the "
        "owner's known browser from a new address 302; a stolen device cookie: 5 failures, then "
        "429 (one more untrusted browser)",
    )
