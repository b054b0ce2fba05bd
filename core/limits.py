"""Every rate limit of the product, as one table of named rules, and one way to take them.

A rule counts requests (or failures) per subject (a phone, an IP, a user) in a window.
``limits_take`` takes several rules in ONE atomic Redis step (a Lua script): concurrent
requests can never all slip under a limit, as DRF's get-then-set throttles can. Two kinds:

- ``request``: every request counts, refused ones too (a client that keeps asking stays
  refused); never given back.
- ``slot``: a slot taken before trying and given back with ``Taken.refund()`` when the
  attempt succeeds or fails for a reason that is not the client's (the SMS gateway is down),
  and at once when a later rule refuses the request. Failure caps and SMS quotas are slots.
  ``limits_held`` takes them for a block and gives them back if the block fails with
  anything but an ``ApiError`` (a client's failure keeps its slot).

A call may name a trust key: when it exists in Redis (read in the same step), the request is
trusted, and each rule says how it meets one (``Rule.trusted``): counted and never refused,
or not counted at all. A known phone number's sends count in the narrow SMS budgets and are
never stopped by them.

A breaker (``BREAKERS``) watches a subject's attempts and successes over a sliding window
(slices of five minutes, kept a day for the operator's view) and pauses the subject for a
window when its attempts mostly fail; it is read, judged and counted in the same atomic
step as the rules. A trusted request is counted and never stopped.

The numbers come from settings (their environment variables are in sample.env).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .errors import ApiError, ServiceUnavailable, TooManyRequests
from .redis import redis_connection, redis_key, run_script

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = "day"  # a window that ends at the next UTC midnight (a daily budget)


def _times_networks(setting: str) -> int:
    """A phone's limit from all client networks: AUTH_CODE_PHONE_NETWORKS times one's."""
    return int(getattr(settings, setting)) * settings.AUTH_CODE_PHONE_NETWORKS


@dataclass(frozen=True)
class Rule:
    limit: str | int | Callable[[], int]  # a number, the name of its setting, or a function
    window: str | int  # seconds, the name of a setting in seconds, or DAY
    kind: Literal["request", "slot"] = "slot"
    detail: Any = None  # the 429's message, when the generic one would not say enough
    per_client: bool = False  # counted per client IP (LIMITS_EXEMPT_LOOPBACK may lift it)
    warn_at: tuple[float, ...] = ()  # log when a subject's count reaches these shares
    # How a trusted request (limits_take's trust key exists) meets it: counted and never
    # refused, or not counted at all; None: as any other.
    trusted: Literal["counted", "skipped"] | None = None


RULES: dict[str, Rule] = {
    # Sending a code (in this order).
    "send_per_ip": Rule("AUTH_SEND_PER_IP_HOUR", HOUR, "request", per_client=True),
    "send_cooldown": Rule(
        1,
        "AUTH_CODE_RESEND_INTERVAL",
        detail=_("A code was sent recently. Wait before asking again."),
    ),
    # Per phone from one client network (a /24 or a /48), and per phone from all of them
    # (several times that): a stranger's network spends its own share, not the owner's.
    "send_per_phone_network": Rule("AUTH_CODE_SENDS_PER_PHONE_HOUR", HOUR),
    "send_per_phone": Rule(lambda: _times_networks("AUTH_CODE_SENDS_PER_PHONE_HOUR"), HOUR),
    # The SMS budgets, narrowest first: one attacker spends their network's (an IPv4 /24 or
    # an IPv6 /48: core.client_ip.client_network) before the destination prefix's, and that
    # before the whole site's (the last fence).
    # A known number (users/otp.py: the trust key) counts in these two, never stopped by them.
    "sms_per_network_day": Rule(
        "SMS_DAILY_BUDGET_PER_NETWORK",
        DAY,
        per_client=True,
        warn_at=(0.5, 0.8, 1),
        trusted="counted",
    ),
    "sms_per_prefix_day": Rule(
        "SMS_DAILY_BUDGET_PER_PREFIX", DAY, warn_at=(0.5, 0.8, 1), trusted="counted"
    ),
    "sms_per_day": Rule("SMS_DAILY_BUDGET", DAY, warn_at=(0.5, 0.8, 1)),
    # New numbers spend at most this part of the site's budget: the rest is kept for known
    # ones (which the narrow budgets never stop).
    "sms_new_numbers_per_day": Rule(
        lambda: math.ceil(
            settings.SMS_DAILY_BUDGET * (100 - settings.SMS_DAILY_BUDGET_KNOWN_SHARE) / 100
        ),
        DAY,
        warn_at=(0.5, 0.8, 1),
        trusted="skipped",
    ),
    # Checking a code.
    "verify_per_ip": Rule("AUTH_VERIFY_PER_IP_HOUR", HOUR, "request", per_client=True),
    "verify_failures_per_phone_network": Rule("AUTH_CODE_FAILURES_PER_PHONE_HOUR", HOUR),
    "verify_failures_per_phone": Rule(
        lambda: _times_networks("AUTH_CODE_FAILURES_PER_PHONE_HOUR"), HOUR
    ),
    # Activating an invite code: failed attempts, so the short codes cannot be enumerated.
    "invite_failures_per_user": Rule("INVITE_FAILURES_PER_USER_HOUR", HOUR),
    "invite_failures_per_ip": Rule("INVITE_FAILURES_PER_IP_HOUR", HOUR, per_client=True),
    # Invite links (/i/<CODE>) that lead to no one: a count of their own, so a page of links
    # to nowhere never spends the activation allowance of everyone behind the visitor's NAT.
    "invite_link_misses_per_ip": Rule("INVITE_LINK_MISSES_PER_IP_HOUR", HOUR, per_client=True),
    # Downloading one's own data: a large account's export is long, so it is rationed.
    "export_per_user": Rule("EXPORT_PER_USER_HOUR", HOUR, "request"),
    # Staff passwords in the admin (referral_system/admin.py): each check is a slow hash, so
    # every attempt counts per client, per client network (an IPv4 /24, an IPv6 /48) and for
    # the whole site; failures per account from untrusted browsers together, and per device
    # cookie (a browser that signed in to that account before) on its own.
    "admin_login_per_ip": Rule("ADMIN_LOGIN_PER_IP_HOUR", HOUR, "request", per_client=True),
    "admin_login_per_network": Rule(
        "ADMIN_LOGIN_PER_NETWORK_HOUR", HOUR, "request", per_client=True
    ),
    "admin_login_failures_per_account": Rule("ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR", HOUR),
    "admin_login_site_minute": Rule("ADMIN_LOGIN_SITE_PER_MINUTE", 60, "request"),
    "admin_login_site_hour": Rule("ADMIN_LOGIN_SITE_PER_HOUR", HOUR, "request"),
    "admin_login_failures_per_device": Rule("ADMIN_LOGIN_FAILURES_PER_DEVICE_HOUR", HOUR),
}


@dataclass(frozen=True)
class Breaker:
    """Pauses a subject whose attempts mostly fail: over the last ``window`` seconds (the name
    of a setting), at least ``min_attempts`` attempts and fewer than ``min_success_ratio`` of
    them succeeded. The pause lasts one window (or until staff resume it)."""

    min_attempts: str
    min_success_ratio: str
    window: str


BREAKERS: dict[str, Breaker] = {
    # SMS pumping: codes sent to a destination prefix and never verified (users/otp.py).
    "sms_pumping": Breaker(
        "SMS_PUMPING_MIN_SENDS", "SMS_PUMPING_MIN_VERIFIED_RATIO", "SMS_PUMPING_WINDOW"
    ),
}
SLICE = 300  # seconds: a breaker counts in slices of five minutes...
KEPT = 24 * HOUR  # ... kept a day, for the operator's view


_TRUSTED_MODE = {None: "", "counted": "c", "skipped": "s"}


def _number(value: str | int | Callable[[], int]) -> int:
    if callable(value):
        return value()
    return int(getattr(settings, value)) if isinstance(value, str) else value


def _seconds_to_utc_midnight(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))


def _loopback(subject: str) -> bool:
    """Whether a client subject (an address or a network) is this machine."""
    try:
        return ipaddress.ip_network(subject, strict=False).is_loopback
    except ValueError:
        return False


class LimitExceeded(TooManyRequests):
    """A rule refused the request: which one, and in how many seconds it clears.

    With DEBUG on, the answer names the rule too (``limit``), so a tester sees what to wait for.
    """

    def __init__(self, rule: str, retry_after: int, detail: Any = None) -> None:
        self.rule = rule
        super().__init__(retry_after, detail)
        if settings.DEBUG:
            self.extra["limit"] = rule

    def wait_note(self) -> str:
        """What an HTML page says: how many minutes to wait, rounded up."""
        return _("Too many attempts. Try again in %(minutes)s min.") % {
            "minutes": -(-self.retry_after // 60)
        }


class BreakerOpen(ServiceUnavailable):
    """A breaker has paused this subject: which, and in how many seconds the pause ends."""

    def __init__(self, breaker: str, subject: str, retry_after: int) -> None:
        self.breaker, self.subject = breaker, subject
        self.retry_after = max(1, int(retry_after))
        super().__init__()


@dataclass(frozen=True)
class BreakerCheck:
    """A request through a breaker (a trusted one is counted and never stopped)."""

    breaker: str
    subject: str


# KEYS: the counters, in order, then the trust key if there is one, then a breaker's keys,
# then the keys of a ``Then`` step. ARGV: the number of counters, 1 if a trust key follows
# them, then limit, window, slot (1/0) and how a trusted request meets it ('c' counted only,
# 's' skipped, '') for each counter, then the breaker's arguments, then the ``Then`` step's.
# Counts each in turn; at the first over its limit, gives back the slots counted so far (that
# one included) and returns its position (1-based) and seconds left; then the breaker (below)
# may refuse the same way, as position n + 1; when all let the request through, runs the
# ``Then`` step (which sees its own keys and arguments as THEN_KEYS and THEN_ARGV) and
# returns {0, the breaker's trip or 0, 1 if trusted, then each counter's new count}.
_TAKE = """
local n = tonumber(ARGV[1])
local trusted = ARGV[2] == '1' and redis.call('EXISTS', KEYS[n + 1]) == 1
local counts = {{0, 0, trusted and 1 or 0}}
local function counted(j)
  return not (trusted and ARGV[4 * j + 2] == 's')
end
local function give_back(upto)
  for j = 1, upto do
    if ARGV[4 * j + 1] == '1' and counted(j) then redis.call('DECR', KEYS[j]) end
  end
end
for i = 1, n do
  counts[i + 3] = 0
  if counted(i) then
    local limit, window = tonumber(ARGV[4 * i - 1]), tonumber(ARGV[4 * i])
    local key = KEYS[i]
    local count = redis.call('INCR', key)
    local ttl = redis.call('TTL', key)
    if ttl < 0 then redis.call('EXPIRE', key, window); ttl = window end
    if count > limit and not (trusted and ARGV[4 * i + 2] == 'c') then
      give_back(i)
      return {{i, ttl}}
    end
    counts[i + 3] = count
  end
end
local k, a = n + tonumber(ARGV[2]), 4 * n + 2  -- the keys and arguments read so far
{breaker}
local THEN_KEYS, THEN_ARGV = {{}}, {{}}
for i = k + 1, #KEYS do THEN_KEYS[#THEN_KEYS + 1] = KEYS[i] end
for i = a + 1, #ARGV do THEN_ARGV[#THEN_ARGV + 1] = ARGV[i] end
{then}
return counts
"""
# The breaker: KEYS its pause, its resume mark, then its slices, newest first; ARGV the
# subject's attempt and success fields, min attempts, min success ratio, window, the newest
# slice's number, how long a slice is kept, how many slices the window holds. Not paused:
# sums the window's slices (since a resume only: the resume mark is "slice attempts
# successes", what that slice held then) and pauses the subject for a window when they fail
# the ratio (the trip, "attempts successes", goes back in counts[2]). Paused and not
# trusted: refused. Otherwise the attempt counts in the newest slice.
_BREAKER = """
local pause, resumed, newest = KEYS[k + 1], KEYS[k + 2], k + 3
local fa, fs = ARGV[a + 1], ARGV[a + 2]
local least, ratio, window = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
local slice, kept, slices = tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7]), tonumber(ARGV[a + 8])
k, a = k + 2 + slices, a + 8
local paused = redis.call('TTL', pause)
if paused < 0 then
  local since, attempts, successes = -1, 0, 0
  local mark = redis.call('GET', resumed)
  if mark then
    local s, a0, s0 = string.match(mark, '(%d+) (%d+) (%d+)')
    since, attempts, successes = tonumber(s), -tonumber(a0), -tonumber(s0)
  end
  for i = 0, slices - 1 do
    if slice - i >= since then
      local row = redis.call('HMGET', KEYS[newest + i], fa, fs)
      attempts = attempts + (tonumber(row[1]) or 0)
      successes = successes + (tonumber(row[2]) or 0)
    end
  end
  if attempts >= least and successes < ratio * attempts then
    redis.call('SET', pause, attempts .. ' ' .. successes, 'EX', window)
    paused, counts[2] = window, attempts .. ' ' .. successes
  end
end
if paused > 0 and not trusted then
  give_back(n)
  return {n + 1, paused, counts[2]}
end
redis.call('HINCRBY', KEYS[newest], fa, 1)
if redis.call('TTL', KEYS[newest]) < 0 then redis.call('EXPIRE', KEYS[newest], kept) end
"""
# Gives one back on each counter that still exists (a DECR on an expired one would create a
# counter that never expires); ARGV[1], if not empty, is a breaker's attempt field in the
# last key (a slice), given back the same way.
_REFUND = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    if i == #KEYS and ARGV[1] ~= '' then redis.call('HINCRBY', key, ARGV[1], -1)
    else redis.call('DECR', key) end
  end
end
return 0
"""
# Staff resume a subject: KEYS[1] its pause, KEYS[2] its resume mark, KEYS[3] the newest
# slice; ARGV[1] the slice's number, ARGV[2] and ARGV[3] the subject's fields, ARGV[4] how
# long the mark lives. The mark notes what the slice held, so only what follows counts.
_RESUME = """
local row = redis.call('HMGET', KEYS[3], ARGV[2], ARGV[3])
local mark = ARGV[1] .. ' ' .. (tonumber(row[1]) or 0) .. ' ' .. (tonumber(row[2]) or 0)
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], mark, 'EX', ARGV[4])
return 0
"""
# A success through a breaker: KEYS[1] the newest slice; ARGV[1] the field, ARGV[2] how long
# a slice is kept.
_SUCCESS = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


@functools.cache
def _take_script(breaker: bool, then: str) -> str:
    return _TAKE.format(breaker=_BREAKER if breaker else "", then=then)


def _slice_now() -> int:
    return int(time.time()) // SLICE


def _slice_key(breaker: str, number: int) -> str:
    return redis_key(f"breaker:{breaker}:{number}")


def _pause_key(breaker: str, subject: str) -> str:
    return redis_key(f"breaker:{breaker}:paused:{subject}")


def _resumed_key(breaker: str, subject: str) -> str:
    return redis_key(f"breaker:{breaker}:resumed:{subject}")


def _breaker_input(check: BreakerCheck) -> tuple[list[str], list[Any], int]:
    """A breaker's keys and arguments for the take script, and its window in seconds."""
    breaker = BREAKERS[check.breaker]
    window = _number(breaker.window)
    slices = max(1, -(-window // SLICE))
    now = _slice_now()
    keys = [_pause_key(check.breaker, check.subject), _resumed_key(check.breaker, check.subject)]
    keys += [_slice_key(check.breaker, now - i) for i in range(slices)]
    ratio = float(getattr(settings, breaker.min_success_ratio))
    args = [f"a:{check.subject}", f"s:{check.subject}", _number(breaker.min_attempts), ratio]
    args += [window, now, KEPT + SLICE, slices]
    return keys, args, window


@dataclass(frozen=True)
class Then:
    """A write made in the same atomic step as the limits, only when they all let the request
    through: Lua that reads its keys and arguments from THEN_KEYS and THEN_ARGV. One round
    trip instead of two, and never a write for a refused request."""

    script: str
    keys: list[str]
    args: list[Any]


@dataclass
class Taken:
    """The slots one request holds; ``refund()`` gives them back (one round trip, once), and
    its attempt through a breaker (a slice and a field) with them."""

    slots: tuple[str, ...]
    left: dict[str, int]  # per rule: how many more the subject may take in this window
    attempt: tuple[str, str] | None = None
    trusted: bool = False  # the trust key existed
    refunded: bool = False

    def refund(self) -> None:
        if (self.slots or self.attempt) and not self.refunded:
            self.refunded = True
            keys, field = list(self.slots), ""
            if self.attempt is not None:
                keys.append(self.attempt[0])
                field = self.attempt[1]
            run_script(_REFUND, keys, [field])


@contextmanager
def limits_held(
    *checks: tuple[str, str],
    then: Then | None = None,
    breaker: BreakerCheck | None = None,
    trust_key: str | None = None,
) -> Iterator[Taken]:
    """``limits_take`` for the block inside: its slots go back if the block fails with
    anything but an ``ApiError`` (the database or Redis down is not the client's doing);
    the block gives them back itself when its attempt succeeds."""
    taken = limits_take(*checks, then=then, breaker=breaker, trust_key=trust_key)
    try:
        yield taken
    except ApiError:
        raise
    except BaseException:
        taken.refund()
        raise


def limit_key(rule: str, subject: str, now: datetime | None = None) -> str:
    """The Redis key that counts ``rule`` for ``subject`` (a daily rule's: today's)."""
    if RULES[rule].window == DAY:
        return redis_key(f"limit:{rule}:{(now or datetime.now(UTC)):%Y%m%d}:{subject}")
    return redis_key(f"limit:{rule}:{subject}")


def limits_take(
    *checks: tuple[str, str],
    then: Then | None = None,
    breaker: BreakerCheck | None = None,
    trust_key: str | None = None,
) -> Taken:
    """Count ``(rule, subject)`` pairs in order, atomically; raise ``LimitExceeded`` for the
    first rule over its limit (nothing of its slots kept, ``then`` not run), then
    ``BreakerOpen`` if ``breaker`` has paused its subject (the same way), else run ``then``
    and return the slots taken. If ``trust_key`` exists the request is trusted: each rule
    meets it as ``Rule.trusted`` says, and the breaker never stops it."""
    if settings.LIMITS_EXEMPT_LOOPBACK:  # development: one machine tests everything
        checks = tuple(
            (name, subject)
            for name, subject in checks
            if not (RULES[name].per_client and _loopback(subject))
        )
    keys: list[str] = []
    args: list[Any] = [len(checks), int(trust_key is not None)]
    limits: list[int] = []
    now = datetime.now(UTC)
    to_midnight = _seconds_to_utc_midnight(now) + 60
    for name, subject in checks:
        rule = RULES[name]
        key = limit_key(name, subject, now)
        window = to_midnight if rule.window == DAY else _number(rule.window)
        keys.append(key)
        limits.append(_number(rule.limit))
        args += [limits[-1], window, int(rule.kind == "slot"), _TRUSTED_MODE[rule.trusted]]
    if trust_key is not None:
        keys.append(trust_key)
    attempt, window = None, 0
    if breaker is not None:
        breaker_keys, breaker_args, window = _breaker_input(breaker)
        attempt = (breaker_keys[2], breaker_args[0])
        keys += breaker_keys
        args += breaker_args
    if then is not None:
        keys += then.keys
        args += then.args
    script = _take_script(breaker is not None, then.script if then else "")
    refused, wait_or_trip, *rest = run_script(script, keys, args) if keys else (0, 0, 0)
    if breaker is not None and refused > len(checks):
        if rest[0]:  # this very request tripped it
            _log_trip(breaker, rest[0], window)
        raise BreakerOpen(breaker.breaker, breaker.subject, int(wait_or_trip))
    if refused:
        name = checks[int(refused) - 1][0]
        raise LimitExceeded(name, int(wait_or_trip), RULES[name].detail)
    if breaker is not None and wait_or_trip:
        _log_trip(breaker, wait_or_trip, window)
    trusted, counts = bool(rest[0]), rest[1:]
    slots = [
        key
        for (name, _subject), key in zip(checks, keys, strict=False)
        if RULES[name].kind == "slot" and not (trusted and RULES[name].trusted == "skipped")
    ]
    left: dict[str, int] = {}
    for (name, subject), count, limit in zip(checks, counts, limits, strict=True):
        left[name] = limit - int(count)
        for share in RULES[name].warn_at:  # counts are atomic: each is reached exactly once
            if int(count) == max(1, math.ceil(limit * share)):
                logger.warning(
                    "limit %s [%s] at %d%%: %d of %d", name, subject, share * 100, count, limit
                )
    return Taken(tuple(slots), left, attempt, trusted)


def _log_trip(check: BreakerCheck, trip: Any, window: int) -> None:
    """A pause, logged once: the one request whose step tripped it ("attempts successes")."""
    attempts, successes = (trip.decode() if isinstance(trip, bytes) else str(trip)).split()
    logger.warning(
        "breaker %s [%s] paused for %d s: %s attempts, %s succeeded in the last %d s",
        check.breaker,
        check.subject,
        window,
        attempts,
        successes,
        window,
    )


def breaker_success(breaker: str, subject: str) -> None:
    """Count a success of ``subject`` through ``breaker`` (one round trip)."""
    run_script(_SUCCESS, [_slice_key(breaker, _slice_now())], [f"s:{subject}", KEPT + SLICE])


def breaker_resume(breaker: str, subject: str) -> None:
    """End ``subject``'s pause (staff): it is judged again on what follows only, not on the
    attempts that paused it (one round trip)."""
    now = _slice_now()
    keys = [_pause_key(breaker, subject), _resumed_key(breaker, subject)]
    keys.append(_slice_key(breaker, now))
    window = _number(BREAKERS[breaker].window) + SLICE  # until its slice has left the window
    run_script(_RESUME, keys, [now, f"a:{subject}", f"s:{subject}", window])


@dataclass(frozen=True)
class BreakerRow:
    """One subject of a breaker over the last day, and its pause."""

    subject: str
    attempts: int
    successes: int
    paused_for: int  # seconds until the pause ends; 0: not paused

    @property
    def ratio(self) -> float | None:
        return self.successes / self.attempts if self.attempts else None


def breaker_report(breaker: str) -> list[BreakerRow]:
    """Every subject ``breaker`` saw in the last day, most attempts first (two round trips:
    the slices, then the pauses)."""
    now = _slice_now()
    pipe = redis_connection().pipeline(transaction=False)
    for number in range(now - KEPT // SLICE + 1, now + 1):
        pipe.hgetall(_slice_key(breaker, number))
    totals: dict[str, list[int]] = {}
    for fields in pipe.execute():
        for field, value in fields.items():
            kind, _, subject = field.decode().partition(":")
            pair = totals.setdefault(subject, [0, 0])
            pair[kind == "s"] += int(value)
    subjects = sorted(totals, key=lambda s: (-totals[s][0], s))
    pipe = redis_connection().pipeline(transaction=False)
    for subject in subjects:
        pipe.ttl(_pause_key(breaker, subject))
    pauses = pipe.execute()
    return [
        BreakerRow(subject, totals[subject][0], totals[subject][1], max(0, int(pause)))
        for subject, pause in zip(subjects, pauses, strict=True)
    ]
