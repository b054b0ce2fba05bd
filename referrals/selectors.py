"""Reads about referrals: a user's profile and who activated their code, in keyset pages.

A page is one range read of ``user_referrals_idx`` (inviter, activation time, id; covering
the phone number on PostgreSQL), however deep it is: the cursor is the position of the last
row seen, never an offset.
"""

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from users.models import User

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


def _beyond(operator: str, position: datetime, row_id: int) -> RawSQL:
    """Rows past the position in (activation time, id) order, as one row comparison: the one
    form PostgreSQL reads as a range of user_referrals_idx, in the index's order. Written as
    ``invited_at < t OR (invited_at = t AND id < i)`` it estimates a handful of rows and
    sorts them (test_a_deep_referral_page_is_one_range_read_of_its_index)."""
    moment = connection.ops.adapt_datetimefield_value(position)
    return RawSQL(  # noqa: S611 (the operator is ours, "<" or ">"; the values are parameters)
        f"(invited_at, id) {operator} (%s, %s)", (moment, row_id), output_field=BooleanField()
    )


def referral_page(*, user_id: int, size: int, cursor: str | None = None) -> ReferralPage:
    """One page of who activated ``user_id``'s code, newest first, with cursors around it."""
    rows = User.objects.filter(invited_by_id=user_id).order_by("-invited_at", "-id")
    backwards = False
    if cursor:
        direction, position, row_id = _decode(cursor)
        backwards = direction == _BEFORE
        if backwards:  # newer rows, read oldest first, then reversed
            rows = rows.filter(_beyond(">", position, row_id)).order_by("invited_at", "id")
        else:
            rows = rows.filter(_beyond("<", position, row_id))
    values = rows.values_list("phone_number", "invited_at", "id")[: size + 1]  # +1: more?
    found = [Referral(phone, at, row_id) for phone, at, row_id in values]  # type: ignore[arg-type]
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = bool(cursor), more
    return ReferralPage(
        results=found,
        next_cursor=cursor_after(found[-1]) if found and has_older else None,
        previous_cursor=_encode(_BEFORE, found[0].invited_at, found[0].id)
        if found and has_newer
        else None,
    )


def referrals_all(*, user_id: int, page_size: int = 1000) -> Iterator[Referral]:
    """Everyone who activated ``user_id``'s code, newest first, read a keyset page at a time
    (flat in memory however many; no server-side cursor, so PgBouncer's transaction mode
    serves it too)."""
    cursor = None
    while True:
        page = referral_page(user_id=user_id, size=page_size, cursor=cursor)
        yield from page.results
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def activated_invite_code(*, user: User) -> str | None:
    """The invite code ``user`` activated, if any."""
    if user.invited_by_id is None:
        return None
    return User.objects.filter(pk=user.invited_by_id).values_list("invite_code", flat=True).first()


def profile_read(*, user: User, size: int) -> Profile:
    """``user``'s profile with the first ``size`` referrals, newest first (one statement for
    the page, one for the code they activated, if any)."""
    page = referral_page(user_id=user.pk, size=size)
    return Profile(
        user=user,
        activated_invite_code=activated_invite_code(user=user),
        referrals=[row.phone_number for row in page.results],
        next_cursor=page.next_cursor,
    )
