"""JWT pairs: issue, rotate and revoke refresh tokens, each revocation one atomic insert.

simplejwt's own blacklist checks and then inserts, so parallel refreshes of one token
all pass the check. Here the revocation *is* the check: inserting the token's ``jti`` as
a primary key succeeds exactly once.
"""

from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from .errors import TokenNotValid
from .models import RevokedToken, User

PURGE_BATCH = 10  # expired revocations forgotten by each new one


def token_pair_issue(*, user: User) -> dict[str, str]:
    """A fresh access + refresh pair for ``user``."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _decode(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise TokenNotValid() from None


def _revoke(token: RefreshToken, user_id: Any) -> bool:
    """Revoke ``token``; False when it was revoked already (by us or a parallel request)."""
    expires_at = datetime.fromtimestamp(int(token["exp"]), tz=UTC)
    try:
        with transaction.atomic():
            RevokedToken.objects.create(jti=token["jti"], user_id=user_id, expires_at=expires_at)
    except IntegrityError:
        return False
    revoked_tokens_purge(limit=PURGE_BATCH)  # each revocation clears more than it adds
    return True


def refresh_token_rotate(*, raw: str) -> dict[str, str]:
    """Spend a refresh token for a new pair; a spent, revoked or foreign token is refused."""
    token = _decode(raw)
    user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None or not _revoke(token, user.pk):
        raise TokenNotValid()
    return token_pair_issue(user=user)


def refresh_token_revoke(*, raw: str) -> None:
    """Log out: the refresh token never works again (revoking twice is harmless)."""
    token = _decode(raw)
    user_id = token.get(api_settings.USER_ID_CLAIM)
    if not User.objects.filter(pk=user_id).exists():
        raise TokenNotValid()
    _revoke(token, user_id)


def revoked_tokens_purge(*, limit: int | None = None) -> int:
    """Forget revocations of tokens that have expired anyway (at most ``limit``); how many.

    Called by every revocation with a small batch, so the table holds only revocations of
    tokens that could still be presented: no cron to remember.
    """
    expired = RevokedToken.objects.filter(expires_at__lt=datetime.now(UTC))
    if limit is not None:
        expired = RevokedToken.objects.filter(
            pk__in=list(expired.values_list("pk", flat=True)[:limit])
        )
    deleted, _ = expired.delete()
    return deleted
