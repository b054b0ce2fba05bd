from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from .models import User


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's Bearer authentication, loading the user and their inviter in one query."""

    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken() from None
        user = (
            User.objects.select_related("invited_by")
            .only(
                "id",
                "phone_number",
                "invite_code",
                "invited_at",
                "referrals_count",
                "date_joined",
                "is_active",
                "password",
                "invited_by__invite_code",
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None:
            raise InvalidToken()
        if not user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        return user
