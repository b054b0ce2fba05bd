"""Reads about who a user is."""

import uuid
from datetime import datetime

from django.db.models import OuterRef, Subquery

from .models import LoginSession, User


def user_read(*, user_id: int, session_id: uuid.UUID) -> tuple[User, datetime] | None:
    """The user and when their session was last used, if ``session_id`` is a live session
    of theirs; None otherwise.

    One statement: the session is read inside the user's read (a log-out deletes its row),
    so every authenticated request costs one round trip.
    """
    live = LoginSession.objects.filter(pk=session_id, user_id=OuterRef("pk"))
    user = (
        User.objects.annotate(session_used=Subquery(live.values("last_used_at")[:1]))
        .filter(pk=user_id, session_used__isnull=False)
        .first()
    )
    return None if user is None else (user, user.session_used)  # type: ignore[attr-defined]
