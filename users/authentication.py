from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from .selectors import user_with_inviter_code


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's Bearer authentication, loading the user and their inviter's code in one query."""

    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken() from None
        try:
            user = user_with_inviter_code(user_id=int(user_id))
        except (TypeError, ValueError):
            raise InvalidToken() from None
        if user is None:
            raise InvalidToken()
        if not user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        return user
