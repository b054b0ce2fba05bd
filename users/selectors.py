"""Reads about who a user is."""

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

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
# same statement, no second round trip (bench/README.md, "Sessions"). A view may ask for more
# columns of the same row (``extra_columns``, referring to the user as ``u``): the profile's
# whole answer is then this one statement.
_USER = (
    f"SELECT {', '.join('u.' + name for name in _FIELDS)}{{extra}} "  # noqa: S608
    f"FROM {User._meta.db_table} u JOIN {LoginSession._meta.db_table} s ON s.user_id = u.id "
    "WHERE s.id = %(session)s AND u.id = %(user)s"
)


@functools.cache
def _statement(extra_columns: str) -> str:
    return _USER.format(extra=extra_columns)


def user_read(
    *,
    user_id: int,
    session_id: uuid.UUID,
    extra_columns: str = "",
    extra_params: dict[str, Any] | None = None,
) -> tuple[User, tuple[Any, ...]] | None:
    """The user with the fields requests need, and the values of ``extra_columns``, if
    ``session_id`` is a live session of theirs; None otherwise."""
    session = LoginSession._meta.pk.get_db_prep_value(session_id, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(extra_columns), {"session": session, "user": user_id, **(extra_params or {})}
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # A plain cursor applies no converters: SQLite gives its UTC times naive.
    fields = tuple(_aware(value) for value in row[: len(_FIELDS)])
    return User.from_db(connection.alias, _FIELDS, fields), tuple(row[len(_FIELDS) :])


def _aware(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
