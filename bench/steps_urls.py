"""Probe views for ``bench/steps.sh``: the profile read built up one step at a time.

Each view adds one piece of what ``GET /api/profile/`` does, so the req/s of neighbours says
what that piece costs under load. Served only by ``bench/steps.sh`` (its own settings module,
``bench.steps_settings``); never part of the project's URLs.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from referral_system.urls import urlpatterns as project_urlpatterns
from referrals.apis import profile_json
from referrals.selectors import profile_read
from users.authentication import access_token_user_id, bearer_token

BODY = b'{"ok":true}'


def _json(body: bytes | str = BODY) -> HttpResponse:
    return HttpResponse(body, content_type="application/json")


def bare(request: HttpRequest) -> HttpResponse:
    return _json()


def token(request: HttpRequest) -> HttpResponse:
    access_token_user_id(bearer_token(request) or "")
    return _json()


def round_trip(request: HttpRequest) -> HttpResponse:
    with connection.prepared_cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT %s::int", [1])
        cursor.fetchall()
    return _json()


def _user(request: HttpRequest) -> int:
    return int(request.GET.get("user", "1"))


def read(request: HttpRequest) -> HttpResponse:
    profile_read(user_id=_user(request), size=settings.REFERRALS_PAGE_SIZE)
    return _json()


def read_json(request: HttpRequest) -> HttpResponse:
    profile = profile_read(user_id=_user(request), size=settings.REFERRALS_PAGE_SIZE)
    assert profile is not None
    return _json(profile_json(request, profile))


urlpatterns = [
    path("steps/bare/", bare),
    path("steps/token/", token),
    path("steps/round-trip/", round_trip),
    path("steps/read/", read),
    path("steps/read-json/", read_json),
    *project_urlpatterns,
]
