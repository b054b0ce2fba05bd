"""Reads about who a user is."""

from .models import User

# One raw statement (no ORM compilation on the hot path): the user and their inviter's code.
_USER_WITH_INVITER_CODE = """
SELECT u.id, u.phone_number, u.invite_code, u.invited_by_id, u.invited_at, u.referrals_count,
       u.date_joined, u.is_active, u.password, inviter.invite_code AS inviter_code
FROM {table} u LEFT JOIN {table} inviter ON inviter.id = u.invited_by_id
WHERE u.id = %s
"""


def user_with_inviter_code(*, user_id: int) -> User | None:
    """The user (the fields a profile needs) with ``inviter_code``: the code they activated."""
    sql = _USER_WITH_INVITER_CODE.format(table=User._meta.db_table)
    return next(iter(User.objects.raw(sql, [user_id])), None)
