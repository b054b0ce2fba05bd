"""The project's URLs plus bench-only views that stop the profile's request at each layer
(bench/breakdown.py). Under /api/, so every middleware treats them as it treats the API."""

from typing import Any

from django.conf import settings
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
from referrals.selectors import profile_read
from users.authentication import JWTAuthentication
from users.models import User
from users.tokens import token_owner


class TokenOnlyAuthentication(JWTAuthentication):
    """The token checked by simplejwt, the user made from its claims: no statement."""

    def get_user(self, validated_token: Any) -> Any:
        user_id, _session = token_owner(validated_token)
        return User(pk=user_id, phone_number="+70000000000", is_active=True)


class TokenSelect1Authentication(TokenOnlyAuthentication):
    """The same after one round trip that reads nothing: what a statement's trip costs."""

    def get_user(self, validated_token: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return super().get_user(validated_token)


class Ok(APIView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class Anonymous(Ok):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class TokenOnly(Ok):
    authentication_classes = [TokenOnlyAuthentication]


class TokenSelect1(Ok):
    authentication_classes = [TokenSelect1Authentication]


class ProfileUnserialized(ProfileApi):
    """The profile's request and statements, answered without its output serializer."""

    def get(self, request: Request) -> Response:
        profile_read(user=request.user, size=settings.REFERRALS_PAGE_SIZE)  # type: ignore[arg-type]
        return Response({"id": request.user.pk})


# Each measured path within a few patterns of the first (URL resolution tries them in order).
class ProfileByHand(ProfileApi):
    """The profile's answer built by hand: what the output serializer's machinery costs
    beyond the answer itself (a bench-only comparison; the API answers through it)."""

    def get(self, request: Request) -> Response:
        profile = profile_read(user=request.user, size=settings.REFERRALS_PAGE_SIZE)  # type: ignore[arg-type]
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
