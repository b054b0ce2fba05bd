"""The project's URLs plus bench-only views that stop the profile's request at each layer
(bench/breakdown.py). Under /api/, so every middleware treats them as it treats the API."""

import uuid
from typing import Any

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from referral_system.health import healthz
from referral_system.urls import urlpatterns as project_urls
from referrals.apis import ProfileApi
from referrals.links import invite_url
from users.models import User

_FIELDS = ["id", "phone_number", "is_active", "password"]


def _user_unread(*, user_id: int, session_id: uuid.UUID) -> User:
    """A user as the token names it, with no statement: the token's check alone."""
    return User.from_db(connection.alias, _FIELDS, (user_id, "+70000000000", True, "!"))


def _user_after_select_1(*, user_id: int, session_id: uuid.UUID) -> User:
    """The same after one round trip that reads nothing: what a statement's trip costs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return _user_unread(user_id=user_id, session_id=session_id)


class Ok(APIView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class Anonymous(Ok):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class TokenOnly(Ok):
    authenticated_user_read = staticmethod(_user_unread)


class TokenSelect1(Ok):
    authenticated_user_read = staticmethod(_user_after_select_1)


class ProfileUnserialized(ProfileApi):
    """The profile's request and statement, answered without its output serializer."""

    def get(self, request: Request) -> Response:
        return Response({"id": request.user.pk})


# Each measured path within a few patterns of the first (URL resolution tries them in order).
class ProfileByHand(ProfileApi):
    """The profile's answer built by hand: what the output serializer's machinery costs
    beyond the answer itself (a bench-only comparison; the API answers through it)."""

    def get(self, request: Request) -> Response:
        profile = request.user.profile  # type: ignore[union-attr]
        user = profile.user
        return Response(
            {
                "id": user.pk,
                "phone_number": user.phone_number,
                "invite_code": user.invite_code,
                "invite_url": invite_url(request, user.invite_code),
                "activated_invite_code": profile.activated_invite_code,
                "date_joined": user.date_joined,
                "referrals_count": user.referrals_count,
                "referrals": profile.referrals,
                "referrals_next": None,  # an ordinary user's one page
            }
        )


urlpatterns = [
    path("healthz", healthz),
    path("api/profile/", ProfileApi.as_view()),
    path("api/bench/drf/", Anonymous.as_view()),
    path("api/bench/token/", TokenOnly.as_view()),
    path("api/bench/select-1/", TokenSelect1.as_view()),
    path("api/bench/user-read/", Ok.as_view()),
    path("api/bench/profile-read/", ProfileUnserialized.as_view()),
    path("api/bench/profile-by-hand/", ProfileByHand.as_view()),
    *project_urls,
]
