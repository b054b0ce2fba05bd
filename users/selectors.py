"""Reads about who a user is."""

import uuid

from django.db.models import Exists, OuterRef

from .models import LoginSession, User


def user_read(*, user_id: int, session_id: uuid.UUID) -> User | None:
    """The user, if ``session_id`` is a live session of theirs; None otherwise.

    One statement: the session's existence is a condition of the user's read (a log-out
    deletes the row), so every authenticated request costs one round trip.
    """
    live = LoginSession.objects.filter(pk=session_id, user_id=OuterRef("pk"))
    return User.objects.filter(Exists(live), pk=user_id).first()
