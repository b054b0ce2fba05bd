"""Reads about referrals: who activated a user's code, in keyset pages.

One page is one range read of ``user_referrals_idx`` (inviter, activation time, id; covering
the phone number on PostgreSQL), however deep it is: the cursor is the position of the last
row seen, never an offset. Written as one plain statement so a page costs no ORM compilation.
"""

import base64
import binascii
import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from psycopg.types.numeric import Int8

from referral_system.errors import ApiError
from users.models import User


class InvalidCursor(ApiError):
    status_code = 404
    code = "not_found"
    default_detail = _("Invalid cursor.")


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


# "a": rows after (older than) the position; "b": rows before (newer than) it. Times are read
# as text: the driver's own timestamp parser costs several microseconds a row in Python.
_AFTER, _BEFORE = "a", "b"
_SQL = """
SELECT phone_number, CAST(invited_at AS TEXT) AS moment, id FROM {table}
WHERE invited_by_id = %s {bound}
ORDER BY invited_at {order}, id {order}
LIMIT %s
"""


def _moment(text: str) -> datetime:
    """A timestamp the database gave as text (parsed in C; SQLite's are naive UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _encode(direction: str, moment: datetime, row_id: int) -> str:
    raw = f"{direction}|{moment.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        direction, moment, row_id = raw.split("|")
        position = datetime.fromisoformat(moment)
        if direction not in (_AFTER, _BEFORE) or position.tzinfo is None:
            raise ValueError(direction)
        return direction, position, int(row_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor() from None


def cursor_after(row: Referral) -> str:
    """The cursor of the page that starts just after ``row``."""
    return _encode(_AFTER, row.invited_at, row.id)


def referral_page_query(*, user_id: int, size: int, cursor: str | None) -> tuple[str, list[Any]]:
    """The statement and parameters of one page (``size`` + 1 rows, to know if more follow)."""
    sql, params, _backwards = _page_query(user_id, size, cursor)
    return sql, params


def _page_query(user_id: int, size: int, cursor: str | None) -> tuple[str, list[Any], bool]:
    params: list[Any] = [user_id]
    bound, order, backwards = "", "DESC", False
    if cursor:
        direction, position, row_id = _decode(cursor)
        backwards = direction == _BEFORE
        bound = f"AND (invited_at, id) {'>' if backwards else '<'} (%s, %s)"
        order = "ASC" if backwards else "DESC"
        params += [connection.ops.adapt_datetimefield_value(position), row_id]
    sql = _SQL.format(table=User._meta.db_table, bound=bound, order=order)
    return sql, [*params, size + 1], backwards


def referral_page(*, user_id: int, size: int, cursor: str | None = None) -> ReferralPage:
    """One page of who activated ``user_id``'s code, newest first, with cursors around it."""
    sql, params, backwards = _page_query(user_id, size, cursor)
    with connection.cursor() as db:
        db.execute(sql, params)
        rows = [Referral(phone, _moment(at), row_id) for phone, at, row_id in db.fetchall()]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = bool(cursor), more
    next_cursor = previous_cursor = None
    if rows and has_older:
        next_cursor = _encode(_AFTER, rows[-1].invited_at, rows[-1].id)
    if rows and has_newer:
        previous_cursor = _encode(_BEFORE, rows[0].invited_at, rows[0].id)
    return ReferralPage(results=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


@dataclass(frozen=True)
class Profile:
    id: int
    phone_number: str
    invite_code: str
    is_active: bool
    referrals_count: int
    date_joined: datetime
    activated_invite_code: str | None
    referrals_json: str  # the page's phone numbers, newest first, as a compact JSON array
    next_cursor: str | None

    @property
    def referrals(self) -> list[str]:
        return json.loads(self.referrals_json)  # type: ignore[no-any-return]


# The user, their inviter's code and the first page of their referrals in ONE statement.
# PostgreSQL: one row, prepared once per connection; the page's phone numbers in the index's
# order, as the JSON array the response shows (parsed and encoded again in Python, the
# popular user's profile served 4,091 req/s under wrk instead of 4,427), and the positions
# ("time|id") of the page's last row, where the next page starts, and of the row after it,
# if more follow. Measured with pgbench (prepared, one client, bench_db; bench/README.md):
# - the inviter's code as a scalar subquery, not a LEFT JOIN: user + inviter cost 180-200 us
#   of CPU instead of 280-310;
# - phone numbers alone, not "phone|time|id" per row: building a text per row was the price
#   of a long list (0.098 ms a profile of 100 vs 0.066 for 3 referrals; 0.084 now);
# - the position read by a second, OFFSET scan that outputs bare columns, formatted once
#   outside it: formatted inside, the scan formats all rows it skips (+14 us).
_PROFILE_POSTGRESQL = """
SELECT u.phone_number, u.invite_code, u.is_active, u.referrals_count,
       CAST(u.date_joined AS TEXT),
       (SELECT i.invite_code FROM {table} i WHERE i.id = u.invited_by_id),
       CAST(to_json(ARRAY(SELECT r.phone_number FROM {table} r WHERE r.invited_by_id = u.id
             ORDER BY r.invited_at DESC, r.id DESC LIMIT %(size)s)) AS TEXT),
       ARRAY(SELECT CAST(b.invited_at AS TEXT) || '|' || b.id FROM (
            SELECT r.invited_at, r.id FROM {table} r WHERE r.invited_by_id = u.id
            ORDER BY r.invited_at DESC, r.id DESC OFFSET %(last)s LIMIT 2) b)
FROM {table} u WHERE u.id = %(user)s
"""
# Elsewhere (SQLite has no arrays): the user's row (part 0), then the page's rows (part 1),
# numbered, so their order does not rest on how the database runs a UNION.
_PROFILE_ROWS = """
SELECT 0 AS part, 0 AS n, u.phone_number, u.invite_code, u.is_active, u.referrals_count,
       CAST(u.date_joined AS TEXT) AS moment, inviter.invite_code AS inviter_code
FROM {table} u LEFT JOIN {table} inviter ON inviter.id = u.invited_by_id
WHERE u.id = %(user)s
UNION ALL
SELECT 1, n, NULL, NULL, NULL, NULL, entry, NULL FROM (
    SELECT ROW_NUMBER() OVER (ORDER BY invited_at DESC, id DESC) AS n,
           phone_number || '|' || CAST(invited_at AS TEXT) || '|' || id AS entry
    FROM {table} WHERE invited_by_id = %(user)s
    ORDER BY invited_at DESC, id DESC
    LIMIT %(size)s + 1
) page
ORDER BY part, n
"""


@functools.cache
def _profile_statement(vendor: str) -> str:
    sql = _PROFILE_POSTGRESQL if vendor == "postgresql" else _PROFILE_ROWS
    return sql.format(table=User._meta.db_table)


def profile_statement() -> str:
    return _profile_statement(connection.vendor)


def profile_read(*, user_id: int, size: int) -> Profile | None:
    """A user's profile with the first ``size`` referrals, newest first (one statement)."""
    params = {"user": user_id, "size": size, "last": size - 1}
    if connection.vendor == "postgresql":
        with connection.prepared_cursor() as db:  # type: ignore[attr-defined]
            db.execute(profile_statement(), {**params, "user": Int8(user_id)})
            rows = db.fetchall()
        if not rows:
            return None
        phone, code, active, count, joined, inviter_code, phones, positions = rows[0]
    else:
        with connection.cursor() as db:
            db.execute(profile_statement(), params)
            rows = db.fetchall()
        if not rows or rows[0][0] != 0:  # no such user (only referral rows came, if any)
            return None
        phone, code, active, count, joined, inviter_code = rows[0][2:]
        entries = [row[6].split("|", 1) for row in rows[1:]]
        phones = json.dumps([entry[0] for entry in entries[:size]], separators=(",", ":"))
        positions = [entry[1] for entry in entries[size - 1 :]]
    next_cursor = None
    if len(positions) > 1:  # more follow: the next page starts after the last one shown
        moment, row_id = positions[0].split("|")
        next_cursor = _encode(_AFTER, _moment(moment), int(row_id))
    return Profile(
        id=user_id,
        phone_number=phone,
        invite_code=code,
        is_active=bool(active),
        referrals_count=count,
        date_joined=_moment(joined),
        activated_invite_code=inviter_code,
        referrals_json=phones,
        next_cursor=next_cursor,
    )
