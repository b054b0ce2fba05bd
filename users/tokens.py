"""JWT pairs of a login session: issue, rotate (each spend one atomic insert), detect reuse.

simplejwt's own blacklist checks and then inserts, so parallel refreshes of one token
all pass the check. Here spending *is* the check: inserting the token's ``jti`` as a primary
key succeeds exactly once.

Every token carries its session (the ``sid`` claim) and a rotation keeps it. A refresh token
that was spent already and comes back later than ``JWT_REFRESH_REUSE_GRACE`` seconds after
it was spent is taken for a stolen copy: the whole session ends, the thief's newer tokens
with it. Within the grace window it is only refused, so two tabs refreshing at once, or a
client retrying after a lost answer, stay signed in.
"""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from .errors import TokenNotValid
from .models import LoginSession, RevokedToken, User
from .sessions import session_end, session_start, sessions_purge

logger = logging.getLogger(__name__)

SESSION_CLAIM = "sid"


def session_token_pair(*, session: LoginSession) -> dict[str, str]:
    """A fresh access + refresh pair of ``session``."""
    return token_pair_of(user_id=session.user_id, session_id=session.pk)


def token_pair_of(*, user_id: int, session_id: uuid.UUID) -> dict[str, str]:
    """A fresh access + refresh pair of the user's session ``session_id``."""
    return _pair(user_id, session_id)[0]


def token_pair_issue(*, user: User, user_agent: str = "", client_ip: str = "") -> dict[str, str]:
    """A new session for ``user`` and its first access + refresh pair."""
    lifetime = api_settings.REFRESH_TOKEN_LIFETIME
    session = session_start(
        user_id=user.pk, user_agent=user_agent, client_ip=client_ip, lifetime=lifetime
    )
    return session_token_pair(session=session)


def _pair(user_id: int, session_id: uuid.UUID) -> tuple[dict[str, str], datetime]:
    """The pair and when its refresh token expires."""
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = user_id
    refresh[SESSION_CLAIM] = str(session_id)
    pair = {"access": str(refresh.access_token), "refresh": str(refresh)}
    return pair, _expiry(refresh)


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


def _expiry(token: RefreshToken) -> datetime:
    return datetime.fromtimestamp(int(token["exp"]), tz=UTC)


def refresh_token_rotate(*, raw: str, user_agent: str = "", client_ip: str = "") -> dict[str, str]:
    """Spend a refresh token for a new pair of the same session.

    A spent one presented again after the grace window ends its session; spent within it,
    foreign, expired, or of an ended session or a disabled user: refused.
    """
    token = _decode(raw)
    user_id, session_id = token_owner(token)
    now = timezone.now()
    fresh, expires_at = _pair(user_id, session_id)
    active = User.objects.filter(pk=user_id, is_active=True)
    try:
        with transaction.atomic():
            # The session's row lock orders this rotation against log-outs: one that has
            # returned deleted the row, and no rotation of it commits afterwards.
            alive = (
                LoginSession.objects.filter(pk=session_id, user_id=user_id, expires_at__gt=now)
                .filter(Exists(active))
                .update(last_used_at=now, expires_at=expires_at)
            )
            if not alive:
                raise TokenNotValid()
            RevokedToken.objects.create(
                jti=token["jti"], user_id=user_id, expires_at=_expiry(token), revoked_at=now
            )
    except IntegrityError:
        _reused(token, session_id, user_id, now)
        raise TokenNotValid() from None
    sessions_purge()
    return fresh


def _reused(token: RefreshToken, session_id: uuid.UUID, user_id: int, now: datetime) -> None:
    """A spent token came back: past the grace window after its spending, end its session."""
    spent_at = (
        RevokedToken.objects.filter(jti=token["jti"]).values_list("revoked_at", flat=True).first()
    )
    grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE)
    if spent_at is not None and now - spent_at <= grace:
        return
    if session_end(user_id=user_id, session_id=session_id):
        logger.warning("a spent refresh token came back after the grace window: session ended")


def refresh_token_revoke(*, raw: str) -> None:
    """Log out: end the refresh token's session (ending an ended one is harmless)."""
    token = _decode(raw)
    user_id, session_id = token_owner(token)
    session_end(user_id=user_id, session_id=session_id)
