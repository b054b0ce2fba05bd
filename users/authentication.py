"""Bearer access tokens: simplejwt's authentication, with the user read through their session.

simplejwt reads the header and checks the token (signature, algorithm, expiry, type, ``jti``).
Ours: the user is read in one statement that also proves the token's session (``sid``) is
alive, so a log-out ends its access tokens at once; a bare token (what people paste into
Swagger UI's Authorize box) is taken as if ``Bearer`` came first; and a token must be three
segments of the base64url alphabet, at most ``MAX_TOKEN_LENGTH`` long. PyJWT's decoder skips
characters outside the alphabet, so without that check ``<token>!*!`` (any junk appended to
the signature) opens the API as ``<token>`` does: one token in countless spellings.
"""

import re
import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from .errors import TokenNotValid
from .selectors import user_read
from .sessions import session_used
from .tokens import SESSION_CLAIM, session_claim, token_owner

MAX_TOKEN_LENGTH = 1024  # ours are ~250 characters
_TOKEN = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def request_session_id(request: Request) -> uuid.UUID:
    """The session of the access token the request was authenticated with."""
    return session_claim(request.auth[SESSION_CLAIM])  # type: ignore[index]


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer authentication; the user and their session read in one statement."""

    def get_raw_token(self, header: bytes) -> bytes | None:
        raw = header if _TOKEN.fullmatch(header) else super().get_raw_token(header)
        if raw is not None and (len(raw) > MAX_TOKEN_LENGTH or not _TOKEN.fullmatch(raw)):
            raise TokenNotValid()
        return raw

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return super().get_validated_token(raw_token)
        except (InvalidToken, TypeError):  # TypeError: simplejwt's own for a string "exp"
            raise TokenNotValid() from None

    def get_user(self, validated_token: Token) -> Any:
        user_id, session_id = token_owner(validated_token)
        found = user_read(user_id=user_id, session_id=session_id)
        if found is None:  # no such user, or the session ended
            raise TokenNotValid()
        user, last_used = found
        session_used(session_id=session_id, last_used=last_used)
        if not user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        return user
