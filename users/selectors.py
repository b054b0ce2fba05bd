"""Reads about who a user is."""

from .models import User

# Raw statements (no ORM compilation on the hot path). The inviter's code costs a join, so
# only the read that shows it asks for it.
_FIELDS = """u.id, u.phone_number, u.invite_code, u.invited_by_id, u.invited_at,
       u.referrals_count, u.date_joined, u.is_active, u.password"""
_USER = "SELECT {fields} FROM {table} u WHERE u.id = %s"
_USER_WITH_INVITER_CODE = """
SELECT {fields}, inviter.invite_code AS inviter_code
FROM {table} u LEFT JOIN {table} inviter ON inviter.id = u.invited_by_id
WHERE u.id = %s
"""
# Written out once: the first is read by every authenticated API request.
USER, USER_WITH_INVITER_CODE = (
    sql.format(fields=_FIELDS, table=User._meta.db_table)
    for sql in (_USER, _USER_WITH_INVITER_CODE)
)


def _first(statement: str, user_id: int) -> User | None:
    return next(iter(User.objects.raw(statement, [user_id])), None)


def user_read(*, user_id: int) -> User | None:
    """The user with the fields requests need (authentication, activation)."""
    return _first(USER, user_id)


def user_with_inviter_code(*, user_id: int) -> User | None:
    """The user with ``inviter_code``: the code they activated (the profile page shows it)."""
    return _first(USER_WITH_INVITER_CODE, user_id)
