"""Reads about who a user is."""

from datetime import UTC, datetime

from django.db import connection

from .models import User

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
# would compile its query anew each time.
_USER = f"SELECT {', '.join(_FIELDS)} FROM {User._meta.db_table} WHERE id = %s"  # noqa: S608


def user_read(*, user_id: int) -> User | None:
    """The user with the fields requests need (authentication, profile, activation)."""
    with connection.cursor() as cursor:
        cursor.execute(_USER, [user_id])
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
