"""Attacks on a live production server that hold since issue 25: forged log lines, invite-link
misses spending activations, a published key trimmed, the language cookie and the policy of
pages under "/healthz..."."""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from reliability.harness import (
    REDIS_URL,
    Server,
    login,
    post,
    random_secret,
    requires_services,
    server_env,
)

pytestmark = requires_services

FORGED = "2026-12-06 00:00:00,000 INFO granian.access FAKE"
# The line break as a URL carries it, and the other ways to end or dress up a line, as the log
# writes them (granian hands the path over as Latin-1, as WSGI does: U+2028 is three
# characters there, its C1 control escaped).
BREAKS = {
    "%0A": "\\n",
    "%0D": "\\r",
    "%0D%0A": "\\r\\n",
    "%1B": "\\x1b",
    "%C2%85": "\u00c2\\x85",
    "%E2%80%A8": "\u00e2\\x80\u00a8",
}


def test_a_client_cannot_write_a_line_of_its_own_into_the_logs(group_factory, figure, static_root):
    grp = group_factory(STATIC_ROOT=static_root)
    server = grp.add()
    forged = FORGED.replace(" ", "%20")
    for encoded in BREAKS:
        response = requests.get(f"{server.url}/i/X{encoded}{forged}", timeout=30)
        assert response.status_code == 404
    server.stop()  # every line written

    lines = server.log_text().splitlines()
    written = [line for line in lines if "FAKE" in line]
    assert len(written) == len(BREAKS), written  # one line a request, none of the attacker's
    assert not [line for line in written if line.startswith(FORGED)]
    for escaped in BREAKS.values():
        assert any(f"/i/X{escaped}{FORGED} " in line for line in written), (escaped, written)
    figure(
        "log forging",
        f"{len(BREAKS)} requests for /i/X<break>{FORGED.replace(' ', '%20')} (LF, CR, CRLF, ESC, "
        "NEL, U+2028): each one access-log line with the break escaped, no line of the "
        "attacker's",
    )


def test_invite_link_misses_never_block_an_activation(group_factory, figure, static_root):
    grp = group_factory(STATIC_ROOT=static_root)  # the limits as shipped
    server = grp.add()
    inviter, invited = login(grp, server.url), login(grp, server.url)
    code = requests.get(
        server.url + "/api/profile/",
        headers={"Authorization": f"Bearer {inviter.access}"},
        timeout=30,
    ).json()["invite_code"]

    # 30 cookieless GETs, as 30 <img> tags on any page make the visitor's browser send.
    misses = [
        requests.get(f"{server.url}/i/Z{secrets.token_hex(3).upper()}", timeout=30).status_code
        for _ in range(30)
    ]
    assert misses == [404] * 30
    assert requests.get(f"{server.url}/i/{code}", timeout=30).status_code == 429
    activated = post(server.url, "/api/profile/invite/", {"invite_code": code}, invited.access)
    assert activated.status_code == 200, activated.text
    figure(
        "invite-link misses",
        "30 cookieless misses on /i/<code> from one address: the link page 429 there for the "
        "hour, an activation through the API from that address 200",
    )


def test_a_published_key_trimmed_does_not_start_the_server(live_db, figure, tmp_path):
    published = "change-me-5f1c8e0b9a4d47c2b6e3f8a1d0c9b7e6a5f4d3c2b1a09f8e7d6c5b4a39281706"
    env = server_env(
        DATABASE_URL=live_db,
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX="rel-keys-" + secrets.token_hex(4),
        SMS_FILE_PATH=str(tmp_path / "sms.jsonl"),
        JWT_SIGNING_KEY=random_secret(),
    )
    # The same server with a key of its own starts: only the key stops the one below.
    started = Server({**env, "SECRET_KEY": random_secret()})
    try:
        started.start()
    finally:
        started.close()
    trimmed = Server({**env, "SECRET_KEY": published.removeprefix("change-me-")})
    try:
        with pytest.raises(RuntimeError) as refused:
            trimmed.start()
    finally:
        trimmed.close()
    message = "SECRET_KEY must be set to a random value: this one is published in this repository"
    assert message in str(refused.value)
    figure(
        "published key trimmed",
        "the sample key minus 'change-me-': the image does not start (with a random key it does)",
    )


def test_the_language_cookie_and_every_pages_policy(group_factory, figure, static_root):
    # The form's CSRF cookie comes back over plain HTTP; the session cookie stays Secure.
    grp = group_factory(STATIC_ROOT=static_root, CSRF_COOKIE_SECURE="False")
    server = grp.add()
    browser = requests.Session()
    page = browser.get(server.url + "/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    switched = browser.post(
        server.url + "/i18n/setlang/",
        data={"language": "ru", "next": "/", "csrfmiddlewaretoken": token[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert switched.status_code == 302
    [cookie] = [c for c in switched.raw.headers.getlist("Set-Cookie") if "django_language=" in c]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie, cookie

    for path in ("/healthzanything", "/healthz/", "/readyzz", "/healthz", "/readyz"):
        response = requests.get(server.url + path, timeout=30)
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), path
    api = requests.get(server.url + "/api/profile/", timeout=30)
    assert "Content-Security-Policy" not in api.headers
    figure(
        "cookies and policy",
        f"django_language: {'; '.join(p.strip() for p in cookie.split(';')[1:])}; "
        "/healthzanything, /healthz/, /readyzz, /healthz, /readyz: a Content-Security-Policy",
    )
