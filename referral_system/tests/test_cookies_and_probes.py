"""The language cookie is HttpOnly, SameSite and (in production) Secure; every page but the
API's JSON carries the Content-Security-Policy, pages under "/healthz..." too (issue 25)."""

from pathlib import Path

import pytest
from django.test import Client

from .test_production import made_env, manage

pytestmark = pytest.mark.django_db


def test_the_language_cookie_is_httponly_and_samesite() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_production_sends_the_language_cookie_over_https_only(tmp_path: Path) -> None:
    # As the session cookie: on unless a deployment without TLS turns that off.
    show = (
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.LANGUAGE_COOKIE_SECURE)",
    )
    values = made_env(tmp_path)
    for session_cookie_secure, expected in (
        ("<unset>", "True"),
        ("True", "True"),
        ("False", "False"),
    ):
        shown = manage(values, *show, SESSION_COOKIE_SECURE=session_cookie_secure)
        assert shown.stdout.strip() == expected, shown.stderr


@pytest.mark.parametrize(
    "path", ["/healthzanything", "/healthz/x", "/readyzz", "/healthz", "/readyz", "/"]
)
def test_every_page_but_the_api_carries_the_policy(settings, path: str) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False  # django-csp leaves DEBUG's 404 pages alone
    response = Client().get(path)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path


def test_the_apis_json_goes_without_a_policy() -> None:
    assert "Content-Security-Policy" not in Client().get("/api/profile/")
