"""Bulk-load users_user with COPY: a popular user, ordinary families, pools of users that a
scenario uses up (one user per request).

Layout (ids are row numbers, so every figure in the README can be traced to a row):
  1                    the popular user, invited by nobody, with ``referrals`` referrals
  2 .. referrals+1     invited by user 1 (distinct invited_at: the deep cursor is exact)
  then families of 5   [root, child, g1, g2, g3]: child invited by root, g1..g3 by child;
                       a child is an ordinary user with an inviter and three referrals
  then the pools       ``fresh`` rows invited by nobody, inviting nobody: they activate;
                       ``changers`` the same: they change their number;
                       ``leavers`` each invited by a family's root (leaver k by root k mod
                       families): they delete their accounts, so each deletion also takes
                       one from an inviter's count
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import psycopg

from bench.scenarios import POOLS

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as users.invite_codes
CODE_BITS = 30  # 6 characters of 5 bits
_MASK = (1 << CODE_BITS) - 1
FAMILY = 5
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
NULL = r"\N"  # COPY text format
COLUMNS = (
    "id, password, last_login, is_superuser, phone_number, invite_code, invited_at, "
    "referrals_count, is_active, is_staff, date_joined, invited_by_id"
)


def scramble(n: int) -> int:
    """A bijection of 30-bit integers (odd multiplications, xor-shifts): codes never repeat."""
    x = (n * 0x2545F491) & _MASK
    x ^= x >> 13
    x = (x * 0x1B873593) & _MASK
    x ^= x >> 16
    return x


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 10 bits -> 2 characters


def invite_code(user_id: int) -> str:
    """The seeded user's invite code: the scrambled row number in 6 Crockford characters."""
    x = scramble(user_id)
    return _PAIRS[x >> 20] + _PAIRS[(x >> 10) & 1023] + _PAIRS[x & 1023]


@cache
def _date(day: int) -> str:
    return f"{BASE_TIME + timedelta(days=day):%Y-%m-%d}"


def _timestamp(seconds: int) -> str:
    """BASE_TIME plus ``seconds``, as PostgreSQL reads it (cheaper than datetime per row)."""
    day, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{_date(day)} {hour:02d}:{minute:02d}:{second:02d}+00"


def phone(user_id: int) -> str:
    """A valid Russian mobile number (+7 900 ...) unique to the row."""
    return f"+79{user_id:09d}"


@dataclass(frozen=True)
class Layout:
    users: int
    referrals: int
    fresh: int
    changers: int = 0
    leavers: int = 0

    @property
    def popular_id(self) -> int:
        return 1

    @property
    def families_start(self) -> int:
        return self.referrals + 2

    @property
    def pools_start(self) -> int:
        return self.users - self.fresh - self.changers - self.leavers + 1

    def pool(self, name: str) -> range:
        """The ids of a pool (POOLS), which follow each other at the end, in that order."""
        start = self.pools_start
        for each in POOLS:
            size: int = getattr(self, each)
            if each == name:
                return range(start, start + size)
            start += size
        raise KeyError(name)

    @property
    def families(self) -> int:
        return (self.pools_start - self.families_start) // FAMILY

    def child_id(self, family: int) -> int:
        """The ordinary user of a family: one inviter, three referrals."""
        return self.families_start + family * FAMILY + 1

    def inviter_of(self, user_id: int) -> int | None:
        if self.popular_id < user_id < self.families_start:
            return self.popular_id
        leavers = self.pool("leavers")
        if user_id in leavers:
            return self.families_start + (user_id - leavers.start) % self.families * FAMILY
        offset = user_id - self.families_start
        if offset < 0 or offset >= self.families * FAMILY:
            return None
        position = offset % FAMILY
        if position == 0:
            return None
        if position == 1:
            return user_id - 1
        return user_id - position + 1

    def referrals_count(self, user_id: int) -> int:
        if user_id == self.popular_id:
            return self.referrals
        offset = user_id - self.families_start
        if offset < 0 or offset >= self.families * FAMILY:
            return 0
        if offset % FAMILY == 1:
            return FAMILY - 2
        if offset % FAMILY == 0:  # a root: its child, and the leavers it invited
            family = offset // FAMILY
            return 1 + self.leavers // self.families + (family < self.leavers % self.families)
        return 0

    def check(self) -> None:
        if self.families < 1 or self.fresh < 1 or self.users >= 1 << CODE_BITS:
            raise SystemExit(f"seed: {self} leaves no room for families or fresh users")


def _rows(layout: Layout, start: int, stop: int) -> str:
    lines = []
    for user_id in range(start, stop):
        inviter = layout.inviter_of(user_id)
        invited_at = _timestamp(user_id + 30) if inviter else NULL
        lines.append(
            f"{user_id}\t!\t{NULL}\tf\t{phone(user_id)}\t{invite_code(user_id)}\t{invited_at}\t"
            f"{layout.referrals_count(user_id)}\tt\tf\t{_timestamp(user_id)}\t"
            f"{inviter or NULL}\n"
        )
    return "".join(lines)


def seed(dsn: str, layout: Layout, chunk: int = 50_000) -> float:
    """Replace every user with the layout's rows; returns the seconds it took."""
    layout.check()
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=False) as conn:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE users_user RESTART IDENTITY CASCADE")
            # No deferred foreign-key check queued per row; verify() checks every inviter.
            cur.execute("SET LOCAL session_replication_role = replica")
            # FREEZE: the rows are born visible to all, so index-only scans work at once.
            with cur.copy(f"COPY users_user ({COLUMNS}) FROM STDIN WITH (FREEZE)") as copy:
                for start in range(1, layout.users + 1, chunk):
                    copy.write(_rows(layout, start, min(start + chunk, layout.users + 1)))
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('users_user', 'id'), %s)", [layout.users]
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) users_user")
    return time.perf_counter() - started


def verify(dsn: str, layout: Layout) -> None:
    """Refuse to benchmark data that breaks the model's invariants."""
    checks = {
        "row count": ("SELECT count(*) FROM users_user", layout.users),
        "codes outside the alphabet": (
            "SELECT count(*) FROM users_user WHERE invite_code !~ '^[0-9A-HJKMNP-TV-Z]{6}$'",
            0,
        ),
        "referrals_count different from the referrals": (
            """SELECT count(*) FROM users_user u
               LEFT JOIN (SELECT invited_by_id, count(*) AS c FROM users_user
                          WHERE invited_by_id IS NOT NULL GROUP BY 1) r
                 ON r.invited_by_id = u.id
               WHERE u.referrals_count <> coalesce(r.c, 0)""",
            0,
        ),
        "inviters that do not exist": (
            """SELECT count(*) FROM users_user u
               WHERE u.invited_by_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM users_user i WHERE i.id = u.invited_by_id)""",
            0,
        ),
        "referrals of the popular user": (
            "SELECT referrals_count FROM users_user WHERE id = 1",
            layout.referrals,
        ),
    }
    with psycopg.connect(dsn) as conn:
        for name, (sql, expected) in checks.items():
            row = conn.execute(sql).fetchone()
            got = row[0] if row else None
            if got != expected:
                raise SystemExit(f"seed check failed: {name}: {got} != {expected}")
