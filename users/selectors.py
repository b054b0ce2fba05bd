"""Reads about who a user is."""

from .models import User

# A plain statement, written out once: every authenticated API request runs it, and the ORM
# would compile its query anew each time.
_USER = f"""
SELECT id, phone_number, invite_code, invited_by_id, invited_at, referrals_count,
       date_joined, is_active, password
FROM {User._meta.db_table} WHERE id = %s
"""  # noqa: S608  # a table name, no input


def user_read(*, user_id: int) -> User | None:
    """The user with the fields requests need (authentication, profile, activation)."""
    return next(iter(User.objects.raw(_USER, [user_id])), None)
