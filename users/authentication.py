"""Bearer access tokens: one check, shared by DRF's authentication and the lean profile read.

simplejwt issues the tokens; reading them is done here. Its reader goes through PyJWT's
general decoder (algorithm tables, option dictionaries, claim validators): 126 µs a token
on the benchmark machine, against 15 µs for this check of the one shape we issue (HS256,
``exp``, ``jti``, ``token_type`` "access", the user id claim). The algorithm is pinned, so
``alg: none`` or any other header is refused before the signature is looked at; the
signature is compared in constant time before the payload is parsed. A token that passed is
remembered (``_signed_claims``): the same client's next requests only check the clock.
"""

import base64
import binascii
import functools
import hmac
import json
import time
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import settings as simplejwt

from referral_system.errors import TokenNotValid
from referral_system.exceptions import WWW_AUTHENTICATE

from .selectors import user_read

ALGORITHM = "HS256"
_SCHEME = "Bearer"
_NUMBER = (int, float)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _instant(value: Any) -> float:
    """A NumericDate claim (seconds since the epoch); anything else is a bad token."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise ValueError(value)
    return float(value)


def access_token_user_id(token: str) -> int:
    """The user id an access token we signed speaks for; ``TokenNotValid`` for anything else."""
    jwt = simplejwt.api_settings  # read each time: simplejwt replaces it when settings change
    try:
        user_id, expires, not_before = _signed_claims(
            token,
            jwt.SIGNING_KEY,
            jwt.JTI_CLAIM,
            jwt.TOKEN_TYPE_CLAIM,
            jwt.USER_ID_CLAIM,
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError, binascii.Error):
        # json.JSONDecodeError is a ValueError; a non-object header or payload is an
        # AttributeError or TypeError; non-ASCII text cannot be a token we issued.
        raise TokenNotValid() from None
    now = time.time()
    leeway = jwt.LEEWAY
    leeway = leeway.total_seconds() if hasattr(leeway, "total_seconds") else leeway
    if expires <= now - leeway or not_before > now + leeway:
        raise TokenNotValid()
    return user_id


# What a token's signature and claims say depends on the token and the settings alone, so it
# is remembered for the tokens seen last: a client sends the same access token with every
# request for its lifetime, and checking it again cost ~26 us a request under load (bench/
# README.md). Only tokens that passed are remembered (an exception is never cached), the
# settings are part of the key (a new signing key forgets every token), and the times are
# checked against the clock on every call.
REMEMBERED_TOKENS = 4096


@functools.lru_cache(maxsize=REMEMBERED_TOKENS)
def _signed_claims(
    token: str, key: str, jti_claim: str, type_claim: str, user_claim: str
) -> tuple[int, float, float]:
    """(user id, expiry, earliest valid time) of an access token with our signature and
    shape; ValueError (or another error ``access_token_user_id`` maps) for anything else."""
    header, payload, signature = token.split(".")
    if json.loads(_b64(header)).get("alg") != ALGORITHM:
        raise ValueError("algorithm")
    expected = hmac.digest(key.encode(), f"{header}.{payload}".encode("ascii"), "sha256")
    if not hmac.compare_digest(expected, _b64(signature)):
        raise ValueError("signature")
    claims = json.loads(_b64(payload))
    expires = _instant(claims["exp"])
    not_before = max(
        (_instant(claims[early]) for early in ("nbf", "iat") if early in claims),
        default=float("-inf"),
    )
    if jti_claim not in claims:
        raise ValueError("no id")
    if claims[type_claim] != "access":
        raise ValueError("token type")
    user_id = claims[user_claim]
    if isinstance(user_id, bool) or not isinstance(user_id, int | str):
        raise ValueError("user id")
    if isinstance(user_id, str) and not (user_id.isascii() and user_id.isdigit()):
        raise ValueError("user id")
    return int(user_id), expires, not_before


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None without such a header.

    Other schemes are not ours (None, so the request is anonymous); ``Bearer`` with other
    than exactly one value after it is refused, as simplejwt did.
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    parts = header.split()
    if not parts or parts[0] != _SCHEME:
        return None
    if len(parts) != 2:
        raise AuthenticationFailed(
            _("Authorization header must contain two space-delimited values"),
            code="bad_authorization_header",
        )
    return parts[1]


class JWTAuthentication(BaseAuthentication):
    """Bearer authentication: the token checked here, the user read with one statement."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        token = bearer_token(request)
        if token is None:
            return None
        user = user_read(user_id=access_token_user_id(token))
        if user is None:
            raise TokenNotValid()
        if not user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE
