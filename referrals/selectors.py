"""Reads about referrals: a user's profile and who activated their code, in keyset pages.

A page is one range read of ``user_referrals_idx`` (inviter, activation time, id; covering
the phone number on PostgreSQL), however deep it is: the cursor is the position of the last
row seen, never an offset.
"""

import base64
import binascii
import functools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from users.models import User
from users.selectors import user_read

from .errors import InvalidCursor


@dataclass(frozen=True)
class Referral:
    phone_number: str
    invited_at: datetime
    id: int


@dataclass(frozen=True)
class ReferralPage:
    results: list[Referral]
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class Profile:
    user: User
    activated_invite_code: str | None
    referrals: list[str]  # the first page's phone numbers, newest first
    next_cursor: str | None  # where the second page starts, if there is one


# A cursor is "a" (rows after, i.e. older than, the position) or "b" (before: newer), the
# activation time and the id, base64url without padding.
_AFTER, _BEFORE = "a", "b"
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,200}$", re.ASCII)
# Times are read as text: parsing text with fromisoformat (in C) is faster than the driver's
# own timestamp loader, which a page of 1,000 rows would run 1,000 times.
_PAGE = """
SELECT phone_number, CAST(invited_at AS TEXT) AS moment, id FROM {table}
WHERE invited_by_id = %s {bound}
ORDER BY invited_at {order}, id {order}
LIMIT %s
"""


def _moment(text: str) -> datetime:
    """A timestamp the database gave as text (SQLite's are naive UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _encode(direction: str, moment: datetime, row_id: int) -> str:
    # In UTC, whatever time zone the database session wrote the moment in: one spelling.
    raw = f"{direction}|{moment.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, datetime, int]:
    """A cursor's parts; InvalidCursor for anything that is not exactly what _encode wrote."""
    if not _CURSOR.match(cursor):
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        direction, moment, row_id = raw.split("|")
        position = datetime.fromisoformat(moment).astimezone(UTC)
        if direction not in (_AFTER, _BEFORE) or not row_id.isdigit() or int(row_id) >= 2**63:
            raise ValueError(direction)
    except (ValueError, UnicodeError, binascii.Error, OverflowError):
        raise InvalidCursor() from None
    if _encode(direction, position, int(row_id)) != cursor:  # one spelling per position
        raise InvalidCursor()
    return direction, position, int(row_id)


def cursor_after(row: Referral) -> str:
    """The cursor of the page that starts just after ``row``."""
    return _encode(_AFTER, row.invited_at, row.id)


def referral_page(*, user_id: int, size: int, cursor: str | None = None) -> ReferralPage:
    """One page of who activated ``user_id``'s code, newest first, with cursors around it."""
    params: list[object] = [user_id]
    bound, order, backwards = "", "DESC", False
    if cursor:
        direction, position, row_id = _decode(cursor)
        backwards = direction == _BEFORE
        bound = f"AND (invited_at, id) {'>' if backwards else '<'} (%s, %s)"
        order = "ASC" if backwards else "DESC"
        params += [connection.ops.adapt_datetimefield_value(position), row_id]
    sql = _PAGE.format(table=User._meta.db_table, bound=bound, order=order)
    with connection.cursor() as db:
        db.execute(sql, [*params, size + 1])  # type: ignore[list-item]  # +1: are there more?
        rows = [Referral(phone, _moment(at), row_id) for phone, at, row_id in db.fetchall()]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = bool(cursor), more
    return ReferralPage(
        results=rows,
        next_cursor=_encode(_AFTER, rows[-1].invited_at, rows[-1].id)
        if rows and has_older
        else None,
        previous_cursor=_encode(_BEFORE, rows[0].invited_at, rows[0].id)
        if rows and has_newer
        else None,
    )


def activated_invite_code(*, user: User) -> str | None:
    """The invite code ``user`` activated, if any (the profile's own statement reads it too)."""
    if user.invited_by_id is None:
        return None
    return User.objects.filter(pk=user.invited_by_id).values_list("invite_code", flat=True).first()


# What a profile adds to the user's row, in the statement that reads it for authentication
# (users.selectors.user_read): the code they activated, their first page of referrals' phone
# numbers as a JSON array (one value to fetch, not a row per referral: the profile of a user
# with a full page stays as fast as an ordinary one) and, when more follow, the position of
# the page's last row, where the next page starts (read by an OFFSET scan of bare columns:
# formatted inside the scan, every skipped row would be).
_PROFILE_COLUMNS = """,
       (SELECT i.invite_code FROM {table} i WHERE i.id = u.invited_by_id),
       {phones},
       (SELECT CAST(last.invited_at AS TEXT) || '|' || last.id FROM (
            SELECT r.invited_at, r.id FROM {table} r WHERE r.invited_by_id = u.id
            ORDER BY r.invited_at DESC, r.id DESC LIMIT 1 OFFSET %(last)s) last)"""
_PAGE_PHONES = """
SELECT r.phone_number FROM {table} r WHERE r.invited_by_id = u.id
ORDER BY r.invited_at DESC, r.id DESC LIMIT %(size)s"""
_JSON_ARRAY = {
    "postgresql": "CAST(to_json(ARRAY({page})) AS TEXT)",
    "sqlite": "(SELECT json_group_array(phone_number) FROM ({page}))",
}


@functools.cache
def profile_columns(vendor: str) -> str:
    page = _PAGE_PHONES.format(table=User._meta.db_table)
    phones = _JSON_ARRAY[vendor].format(page=page)
    return _PROFILE_COLUMNS.format(table=User._meta.db_table, phones=phones)


def profile_read(*, user_id: int, session_id: uuid.UUID, size: int) -> Profile | None:
    """The profile of ``user_id`` with the first ``size`` referrals, newest first, read with
    the user and their session in one statement; None if the session is not theirs or ended."""
    found = user_read(
        user_id=user_id,
        session_id=session_id,
        extra_columns=profile_columns(connection.vendor),
        extra_params={"size": size, "last": size - 1},
    )
    if found is None:
        return None
    user, (inviter_code, phones, last) = found
    next_cursor = None
    if user.referrals_count > size and last:
        moment, row_id = last.rsplit("|", 1)
        next_cursor = _encode(_AFTER, _moment(moment), int(row_id))
    return Profile(
        user=user,
        activated_invite_code=inviter_code,
        referrals=json.loads(phones),
        next_cursor=next_cursor,
    )
