"""Reads about who a user is."""

import uuid
from datetime import UTC, datetime

from django.db import connection

from .models import LoginSession, User

_NEEDED = {
    "id",
    "phone_number",
    "invite_code",
    "invited_by_id",
    "invited_at",
    "referrals_count",
    "date_joined",
    "is_active",
    "password",
}
# In the model's field order, as Model.from_db takes them (the others are deferred).
_FIELDS = [f.attname for f in User._meta.concrete_fields if f.attname in _NEEDED]
# A plain statement, written out once: every authenticated API request runs it, and the ORM
# would compile its query anew each time. The join on the token's session is the check that
# the session was not ended (a log-out deletes its row): one primary-key lookup more in the
# same statement, no second round trip (bench/README.md, "Sessions").
_USER = (
    f"SELECT {', '.join('u.' + name for name in _FIELDS)} "  # noqa: S608
    f"FROM {User._meta.db_table} u JOIN {LoginSession._meta.db_table} s ON s.user_id = u.id "
    "WHERE s.id = %s AND u.id = %s"
)


def user_read(*, user_id: int, session_id: uuid.UUID) -> User | None:
    """The user with the fields requests need (authentication, profile, activation), if
    ``session_id`` is a live session of theirs; None otherwise."""
    session = session_id if connection.features.has_native_uuid_field else session_id.hex
    with connection.cursor() as cursor:
        cursor.execute(_USER, [session, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    # A plain cursor applies no converters: SQLite gives its UTC times naive.
    row = tuple(_aware(value) for value in row)
    return User.from_db(connection.alias, _FIELDS, row)


def _aware(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
