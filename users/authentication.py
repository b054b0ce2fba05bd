"""Bearer access tokens, read by simplejwt; the user read with one statement.

simplejwt decodes and validates the token (PyJWT with the configured algorithm, keys,
audience, issuer and leeway; the token type and ``jti``). Ours adds what it lacks:

- a shape check before any work: at most ``MAX_TOKEN_LENGTH`` characters, three segments of
  canonical base64url (a string that PyJWT would decode to the same bytes as another is
  refused, so one token cannot be sent in many spellings);
- a user id claim that is a whole number, and a session claim (``sid``) that is a UUID;
- a memory of tokens that passed, bounded in bytes: a client sends the same token with
  every request for its lifetime, and simplejwt's check (PyJWT's general decoder) is most of
  a bare request's own work. The clock is checked on every use; a change of ``SIMPLE_JWT``
  forgets them all.
  The memory holds what the signature proved, never whether the session is alive: that is
  read on every request, in the statement that reads the user (``user_read``).
"""

import base64
import binascii
import functools
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import cachetools
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt import settings as simplejwt
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from core.errors import WWW_AUTHENTICATE

from .errors import TokenNotValid
from .selectors import user_read
from .tokens import SESSION_CLAIM, session_claim

MAX_TOKEN_LENGTH = 1024  # ours are ~250 characters; anything longer is refused unread
REMEMBERED_BYTES = 2 * 1024 * 1024  # of token text; ~7,000 of our tokens
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$", re.ASCII)
_SCHEME = "Bearer"
_BARE_TOKEN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$", re.ASCII)


@dataclass(frozen=True)
class _Claims:
    user_id: int
    session_id: uuid.UUID
    not_before: float
    expires: float
    size: int  # what it costs to remember: the token's length


def _canonical(segment: str) -> bool:
    """Whether ``segment`` is base64url exactly as an encoder writes it (no padding, no
    stray bits in the last character), so only one spelling of any bytes passes."""
    if not _SEGMENT.match(segment) or len(segment) % 4 == 1:
        return False
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == segment


class _Reader:
    """simplejwt's check under one version of the settings, with the tokens it passed."""

    def __init__(self, jwt: Any) -> None:
        self.jwt = jwt
        self.backend = TokenBackend(
            jwt.ALGORITHM,
            jwt.SIGNING_KEY,
            jwt.VERIFYING_KEY,
            jwt.AUDIENCE,
            jwt.ISSUER,
            jwt.JWK_URL,
            jwt.LEEWAY,
            jwt.JSON_ENCODER,
        )
        # simplejwt's token, checked with this backend (simplejwt builds its own at import,
        # so a changed SIMPLE_JWT would not reach it).
        self.token_class = type("AccessToken", (AccessToken,), {"_token_backend": self.backend})
        self.leeway = self.backend.get_leeway().total_seconds()
        self.remembered: cachetools.LRUCache[str, _Claims] = cachetools.LRUCache(
            REMEMBERED_BYTES, getsizeof=lambda claims: claims.size
        )
        self.lock = threading.Lock()

    def claims(self, raw: str) -> _Claims:
        with self.lock:
            known = self.remembered.get(raw)
        if known is None:
            known = self.check(raw)
            with self.lock:
                self.remembered[raw] = known
        now = time.time()
        if known.expires <= now - self.leeway or known.not_before > now + self.leeway:
            raise TokenNotValid()
        return known

    def check(self, raw: str) -> _Claims:
        if len(raw) > MAX_TOKEN_LENGTH or raw.count(".") != 2:
            raise TokenNotValid()
        if not all(map(_canonical, raw.split("."))):
            raise TokenNotValid()
        try:
            payload = self.token_class(raw).payload  # type: ignore[arg-type]
            moments = [float(payload[claim]) for claim in ("nbf", "iat") if claim in payload]
            expires = float(payload["exp"])
        except (TokenError, KeyError, TypeError, ValueError, OverflowError):
            # simplejwt raises TypeError itself for a signed "exp" that is a string.
            raise TokenNotValid() from None
        user_id = payload.get(self.jwt.USER_ID_CLAIM)
        if isinstance(user_id, bool) or not isinstance(user_id, int | str):
            raise TokenNotValid()
        if isinstance(user_id, str) and not (user_id.isascii() and user_id.isdigit()):
            raise TokenNotValid()
        # Required: an access token from before sessions, which no log-out could end, opens
        # nothing.
        session_id = session_claim(payload.get(SESSION_CLAIM))
        not_before = max(moments, default=float("-inf"))
        return _Claims(int(user_id), session_id, not_before, expires, len(raw))


@functools.lru_cache(maxsize=1)
def _reader(jwt: Any) -> _Reader:
    return _Reader(jwt)


@dataclass(frozen=True)
class BearerAuth:
    """``request.auth`` of a request with a valid access token."""

    token: str
    session_id: uuid.UUID


def access_token_claims(token: str) -> tuple[int, uuid.UUID]:
    """The user and session an access token we signed speaks for; ``TokenNotValid`` for
    anything else."""
    claims = _reader(simplejwt.api_settings).claims(token)
    return claims.user_id, claims.session_id


def remembered_tokens() -> int:
    """How many checked tokens this process remembers (under the current settings)."""
    return len(_reader(simplejwt.api_settings).remembered)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None without such a header.

    A bare token (what people paste into Swagger UI's Authorize) is taken as if ``Bearer``
    came first. Other schemes are not ours (None, so the request is anonymous); ``Bearer``
    with other than exactly one value after it is refused, as simplejwt does.
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    if _BARE_TOKEN.match(header):
        return header
    parts = header.split()
    if not parts or parts[0] != _SCHEME:
        return None
    if len(parts) != 2:
        raise AuthenticationFailed(
            _("Authorization header must contain two space-delimited values"),
            code="bad_authorization_header",
        )
    return parts[1]


def _user_only(*, user_id: int, session_id: uuid.UUID) -> Any:
    found = user_read(user_id=user_id, session_id=session_id)
    return None if found is None else found[0]


class JWTAuthentication(BaseAuthentication):
    """Bearer authentication: the token checked by simplejwt, the user and their session read
    with one statement.

    A view may name that read (``authenticated_user_read``: the same keywords, a user or
    None), to get what it answers in the same statement; the checks stay here, for every view.
    """

    def authenticate(self, request: Request) -> tuple[Any, BearerAuth] | None:
        token = bearer_token(request)
        if token is None:
            return None
        user_id, session_id = access_token_claims(token)
        view = (request.parser_context or {}).get("view")
        read = getattr(view, "authenticated_user_read", _user_only)
        user = read(user_id=user_id, session_id=session_id)
        if user is None:  # no such user, or the session ended
            raise TokenNotValid()
        if not user.is_active:
            raise AuthenticationFailed(_("This account is disabled."), code="user_inactive")
        return user, BearerAuth(token, session_id)

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE
