"""Login sessions: one per login, listed to their user, ended one by one or all at once.

Ending a session deletes its row: its refresh tokens cannot rotate (the rotation updates that
row) and its access tokens stop opening the API at once (authentication reads the user
through a join on it). Expired rows are purged a bounded batch at a time by every login and
every rotation, so no cron is needed and the tables never grow past the live sessions and
one batch. A session row is the same size however often its tokens rotate.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Subquery
from django.utils import timezone

from core.client_ip import client_network

from .models import LoginSession

USER_AGENT_LENGTH = LoginSession._meta.get_field("user_agent").max_length or 200
PURGE_BATCH = 100  # rows of each table a login or a rotation deletes at most
TOUCH_EVERY = timedelta(minutes=5)  # a browser's last_used_at is this coarse


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    user_agent: str
    ip: str
    current: bool


def user_agent_trim(text: str) -> str:
    """A User-Agent as stored: printable, single spaces, at most 200 characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:USER_AGENT_LENGTH]


def session_start(
    *, user_id: int, user_agent: str, client_ip: str, lifetime: timedelta
) -> LoginSession:
    """A new session for a login; the user's least recently used ones beyond
    ``AUTH_SESSIONS_PER_USER`` end, and expired sessions are purged."""
    keep = settings.AUTH_SESSIONS_PER_USER - 1
    others = LoginSession.objects.filter(user_id=user_id)
    if keep > 0:
        newest = others.order_by("-last_used_at", "-pk").values("pk")[:keep]
        others = others.exclude(pk__in=Subquery(newest))
    others.delete()
    sessions_purge()
    now = timezone.now()
    return LoginSession.objects.create(
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        refreshed_at=now,
        expires_at=now + lifetime,
        user_agent=user_agent_trim(user_agent),
        network=client_network(client_ip),
    )


def session_end(*, user_id: int, session_id: uuid.UUID) -> bool:
    """End one of the user's sessions; False when they have no such session (any more)."""
    deleted, _ = LoginSession.objects.filter(pk=session_id, user_id=user_id).delete()
    return deleted > 0


def sessions_end_all(*, user_id: int) -> int:
    """End every session of the user (log out everywhere); returns how many there were."""
    deleted, _ = LoginSession.objects.filter(user_id=user_id).delete()
    return deleted


def session_used(*, session_id: uuid.UUID, last_used: datetime) -> None:
    """A session was used now: its ``last_used_at`` moves when it is ``TOUCH_EVERY`` old, so
    the list stays within minutes of the truth without a write per request."""
    now = timezone.now()
    if now - last_used >= TOUCH_EVERY:
        LoginSession.objects.filter(pk=session_id).update(last_used_at=now)


def session_touch(*, user_id: int, session_id: uuid.UUID) -> bool:
    """Whether a browser's session is alive; its ``last_used_at`` moves every few minutes."""
    now = timezone.now()
    alive = LoginSession.objects.filter(pk=session_id, user_id=user_id, expires_at__gt=now)
    last_used = alive.values_list("last_used_at", flat=True).first()
    if last_used is None:
        return False
    if now - last_used >= TOUCH_EVERY:
        alive.update(last_used_at=now)
    return True


# Each table whose rows end, with the column that says when.
_EXPIRING = ((LoginSession, "expires_at"), (Session, "expire_date"))


def sessions_purge(batch: int = PURGE_BATCH) -> int:
    """Delete at most ``batch`` expired rows of each table that holds sessions: ours
    and Django's own browser sessions (anonymous visitors' too: following an
    invite link starts one), which nothing else would ever clean."""
    now = timezone.now()
    deleted = 0
    for model, expiry in _EXPIRING:
        expired = model.objects.filter(**{f"{expiry}__lt": now}).values("pk")[:batch]
        count, _ = model.objects.filter(pk__in=Subquery(expired)).delete()
        deleted += count
    return deleted


def session_list(*, user_id: int, current_id: uuid.UUID | None) -> list[SessionInfo]:
    """The user's live sessions, newest first, the caller's own marked ``current``."""
    rows = LoginSession.objects.filter(user_id=user_id, expires_at__gt=timezone.now()).order_by(
        "-created_at", "-pk"
    )
    return [
        SessionInfo(
            id=row.pk,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            user_agent=row.user_agent,
            ip=row.network,
            current=row.pk == current_id,
        )
        for row in rows
    ]
