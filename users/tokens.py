"""JWT pairs of a login session: issue, rotate (one compare-and-set of the session's row),
detect reuse.

simplejwt's own blacklist checks and then inserts, so parallel refreshes of one token
all pass the check. Here a session row names its one live refresh token (``refresh_jti``)
and a rotation is one UPDATE conditioned on it: exactly one of any number of concurrent
rotations wins. The state is bounded: the live token, the one it replaced and when.

A pair is a function of the session, its live ``jti`` and the moment it was issued, so it
can be issued again byte for byte. Within ``JWT_REFRESH_REUSE_GRACE`` seconds of a rotation,
the token it replaced gets the very pair the rotation gave (a lost answer, two tabs: they
all continue on one chain). Any other spent token of the session (the replaced one after
the window, or an older one) is taken for a stolen copy: the whole session ends, the thief's
newer tokens with it.
"""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from .errors import TokenNotValid
from .models import LoginSession, User
from .sessions import session_end, session_start, sessions_purge

logger = logging.getLogger(__name__)

SESSION_CLAIM = "sid"


def session_token_pair(*, session: LoginSession) -> dict[str, str]:
    """The pair of ``session``'s live refresh token (as its login or last rotation gave it)."""
    return _pair(session.user_id, session.pk, session.refresh_jti, session.refreshed_at)


def token_pair_issue(*, user: User, user_agent: str = "", client_ip: str = "") -> dict[str, str]:
    """A new session for ``user`` and its first access + refresh pair."""
    lifetime = api_settings.REFRESH_TOKEN_LIFETIME
    session = session_start(
        user_id=user.pk, user_agent=user_agent, client_ip=client_ip, lifetime=lifetime
    )
    return session_token_pair(session=session)


def _next_jti(jti: str) -> str:
    """The jti that follows ``jti`` in its session's chain (what a rotation issues)."""
    return salted_hmac("users.tokens.next", jti, algorithm="sha256").hexdigest()[:32]


def _pair(user_id: int, session_id: uuid.UUID, jti: str, issued: datetime) -> dict[str, str]:
    """The pair whose refresh token is ``jti``, issued at ``issued``: the same bytes every
    time it is asked for (HS256 is deterministic, and so are the claims)."""
    at = datetime.fromtimestamp(int(issued.timestamp()), tz=UTC)
    tokens = {}
    for kind, token_class, token_jti in (
        ("refresh", RefreshToken, jti),
        ("access", AccessToken, salted_hmac("users.tokens.access", jti).hexdigest()[:32]),
    ):
        token = token_class()
        token.set_iat(at_time=at)
        token.set_exp(from_time=at)
        token["jti"] = token_jti
        token[api_settings.USER_ID_CLAIM] = user_id
        token[SESSION_CLAIM] = str(session_id)
        tokens[kind] = str(token)
    return {"access": tokens["access"], "refresh": tokens["refresh"]}


def _decode(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise TokenNotValid() from None


_USER_ID = re.compile(r"^[0-9]{1,18}$", re.ASCII)


def token_owner(token: Token) -> tuple[int, uuid.UUID]:
    """The user and the session a token of ours speaks for, read strictly (a whole-number
    user id, a canonical UUID); TokenNotValid for anything else, so no claim can make a
    read fail later."""
    claim = token.get(api_settings.USER_ID_CLAIM)
    if isinstance(claim, str) and _USER_ID.match(claim):
        claim = int(claim)
    if not isinstance(claim, int) or isinstance(claim, bool):
        raise TokenNotValid()
    return claim, session_claim(token.get(SESSION_CLAIM))


def session_claim(claim: object) -> uuid.UUID:
    """A session claim as we write it (a UUID's canonical text); TokenNotValid otherwise, so
    one session cannot be named in several spellings."""
    if not isinstance(claim, str):
        raise TokenNotValid()
    try:
        value = uuid.UUID(claim)
    except ValueError:
        raise TokenNotValid() from None
    if str(value) != claim:
        raise TokenNotValid()
    return value


def _expiry(issued: datetime) -> datetime:
    return datetime.fromtimestamp(int(issued.timestamp()), tz=UTC) + (
        api_settings.REFRESH_TOKEN_LIFETIME
    )


def refresh_token_rotate(*, raw: str, user_agent: str = "", client_ip: str = "") -> dict[str, str]:
    """Spend a refresh token for the next pair of the same session.

    The token the last rotation replaced gets that rotation's pair again within the grace
    window; any other spent token of the session ends it. Foreign, expired, of an ended
    session or a disabled user: refused.
    """
    token = _decode(raw)
    user_id, session_id = token_owner(token)
    jti = str(token["jti"])
    now = timezone.now()
    following = _next_jti(jti)
    active = User.objects.filter(pk=user_id, is_active=True)
    mine = LoginSession.objects.filter(pk=session_id, user_id=user_id, expires_at__gt=now)
    # One conditioned write: concurrent rotations of one token all queue on the session's row
    # lock, and only the first finds its jti still live. A log-out that returned deleted the
    # row: no rotation of it commits afterwards.
    rotated = mine.filter(Exists(active), refresh_jti=jti).update(
        refresh_jti=following,
        replaced_jti=jti,
        refreshed_at=now,
        last_used_at=now,
        expires_at=_expiry(now),
    )
    if rotated:
        sessions_purge()
        return _pair(user_id, session_id, following, now)
    session = (
        mine.filter(Exists(active)).only("refresh_jti", "replaced_jti", "refreshed_at").first()
    )
    if session is None:
        raise TokenNotValid()
    grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE)
    if session.replaced_jti == jti and now - session.refreshed_at <= grace:
        return _pair(user_id, session_id, session.refresh_jti, session.refreshed_at)
    if session_end(user_id=user_id, session_id=session_id):
        logger.warning("a spent refresh token came back: session ended")
    raise TokenNotValid()


def session_rotate(*, user_id: int, session_id: uuid.UUID) -> dict[str, str]:
    """The next pair of a live session, as if its live refresh token had been spent now
    (the token it replaces keeps the grace window); TokenNotValid if the session ended."""
    now = timezone.now()
    with transaction.atomic():
        session = (
            LoginSession.objects.select_for_update()
            .filter(pk=session_id, user_id=user_id)
            .only("refresh_jti")
            .first()
        )
        if session is None:
            raise TokenNotValid()
        following = _next_jti(session.refresh_jti)
        LoginSession.objects.filter(pk=session_id).update(
            refresh_jti=following,
            replaced_jti=session.refresh_jti,
            refreshed_at=now,
            last_used_at=now,
            expires_at=_expiry(now),
        )
    return _pair(user_id, session_id, following, now)


def refresh_token_revoke(*, raw: str) -> None:
    """Log out: end the refresh token's session (ending an ended one is harmless)."""
    token = _decode(raw)
    user_id, session_id = token_owner(token)
    session_end(user_id=user_id, session_id=session_id)
