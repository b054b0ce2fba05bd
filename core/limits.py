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

The numbers come from settings (their environment variables are in sample.env).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .errors import ApiError, TooManyRequests
from .redis import redis_key, run_script

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = "day"  # a window that ends at the next UTC midnight (a daily budget)


@dataclass(frozen=True)
class Rule:
    limit: str | int  # a number, or the name of the setting that holds it
    window: str | int  # seconds, the name of a setting in seconds, or DAY
    kind: Literal["request", "slot"] = "slot"
    detail: Any = None  # the 429's message, when the generic one would not say enough
    per_client: bool = False  # counted per client IP (LIMITS_EXEMPT_LOOPBACK may lift it)
    warn_at: tuple[float, ...] = ()  # log when a subject's count reaches these shares


RULES: dict[str, Rule] = {
    # Sending a code (in this order).
    "send_per_ip": Rule("AUTH_SEND_PER_IP_HOUR", HOUR, "request", per_client=True),
    "send_cooldown": Rule(
        1,
        "AUTH_CODE_RESEND_INTERVAL",
        detail=_("A code was sent recently. Wait before asking again."),
    ),
    "send_per_phone": Rule("AUTH_CODE_SENDS_PER_PHONE_HOUR", HOUR),
    # The SMS budgets, narrowest first: one attacker spends their network's (an IPv4 /24 or
    # an IPv6 /48: core.client_ip.client_network) before the destination prefix's, and that
    # before the whole site's (the last fence).
    "sms_per_network_day": Rule(
        "SMS_DAILY_BUDGET_PER_NETWORK", DAY, per_client=True, warn_at=(0.5, 0.8, 1)
    ),
    "sms_per_prefix_day": Rule("SMS_DAILY_BUDGET_PER_PREFIX", DAY, warn_at=(0.5, 0.8, 1)),
    "sms_per_day": Rule("SMS_DAILY_BUDGET", DAY, warn_at=(0.5, 0.8, 1)),
    # Checking a code.
    "verify_per_ip": Rule("AUTH_VERIFY_PER_IP_HOUR", HOUR, "request", per_client=True),
    "verify_failures_per_phone": Rule("AUTH_CODE_FAILURES_PER_PHONE_HOUR", HOUR),
    # Activating an invite code: failed attempts, so the short codes cannot be enumerated.
    "invite_failures_per_user": Rule("INVITE_FAILURES_PER_USER_HOUR", HOUR),
    "invite_failures_per_ip": Rule("INVITE_FAILURES_PER_IP_HOUR", HOUR, per_client=True),
    # Invite links (/i/<CODE>) that lead to no one: a count of their own, so a page of links
    # to nowhere never spends the activation allowance of everyone behind the visitor's NAT.
    "invite_link_misses_per_ip": Rule("INVITE_LINK_MISSES_PER_IP_HOUR", HOUR, per_client=True),
    # Downloading one's own data: a large account's export is long, so it is rationed.
    "export_per_user": Rule("EXPORT_PER_USER_HOUR", HOUR, "request"),
    # Staff passwords in the admin: every attempt per client, failures per account.
    "admin_login_per_ip": Rule("ADMIN_LOGIN_PER_IP_HOUR", HOUR, "request", per_client=True),
    "admin_login_failures_per_account": Rule("ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR", HOUR),
}


def _number(value: str | int) -> int:
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


# KEYS: the counters, in order, then the keys of a ``Then`` step; ARGV: the number of
# counters, then limit, window, slot (1/0) for each, then the ``Then`` step's arguments. Counts
# each in turn; at the first over its limit, gives back the slots counted so far (that one
# included) and returns its position (1-based) and seconds left; when every rule let the
# request through, runs the ``Then`` step (which sees its own keys and arguments as THEN_KEYS
# and THEN_ARGV) and returns {0, 0, then each counter's new count}.
_TAKE = """
local n = tonumber(ARGV[1])
local counts = {{0, 0}}
for i = 1, n do
  local limit, window = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local key = KEYS[i]
  local count = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, window); ttl = window end
  if count > limit then
    for j = 1, i do
      if ARGV[3 * j + 1] == '1' then redis.call('DECR', KEYS[j]) end
    end
    return {{i, ttl}}
  end
  counts[i + 2] = count
end
local THEN_KEYS, THEN_ARGV = {{}}, {{}}
for i = n + 1, #KEYS do THEN_KEYS[#THEN_KEYS + 1] = KEYS[i] end
for i = 3 * n + 2, #ARGV do THEN_ARGV[#THEN_ARGV + 1] = ARGV[i] end
{then}
return counts
"""
# Gives one back on each counter that still exists (a DECR on an expired one would create a
# counter that never expires).
_REFUND = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
return 0
"""


@functools.cache
def _take_script(then: str) -> str:
    return _TAKE.format(then=then)


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
    """The slots one request holds; ``refund()`` gives them back (one round trip, once)."""

    slots: tuple[str, ...]
    left: dict[str, int]  # per rule: how many more the subject may take in this window
    refunded: bool = False

    def refund(self) -> None:
        if self.slots and not self.refunded:
            self.refunded = True
            run_script(_REFUND, list(self.slots))


@contextmanager
def limits_held(*checks: tuple[str, str], then: Then | None = None) -> Iterator[Taken]:
    """``limits_take`` for the block inside: its slots go back if the block fails with
    anything but an ``ApiError`` (the database or Redis down is not the client's doing);
    the block gives them back itself when its attempt succeeds."""
    taken = limits_take(*checks, then=then)
    try:
        yield taken
    except ApiError:
        raise
    except BaseException:
        taken.refund()
        raise


def limit_key(rule: str, subject: str) -> str:
    """The Redis key that counts ``rule`` for ``subject`` (a rule of a fixed window)."""
    return redis_key(f"limit:{rule}:{subject}")


def limits_take(*checks: tuple[str, str], then: Then | None = None) -> Taken:
    """Count ``(rule, subject)`` pairs in order, atomically; raise ``LimitExceeded`` for the
    first rule over its limit (nothing of its slots kept, ``then`` not run), else run
    ``then`` and return the slots taken."""
    if settings.LIMITS_EXEMPT_LOOPBACK:  # development: one machine tests everything
        checks = tuple(
            (name, subject)
            for name, subject in checks
            if not (RULES[name].per_client and _loopback(subject))
        )
    keys: list[str] = []
    args: list[Any] = [len(checks)]
    slots: list[str] = []
    now = datetime.now(UTC)
    today, to_midnight = f"{now:%Y%m%d}", _seconds_to_utc_midnight(now) + 60
    for name, subject in checks:
        rule = RULES[name]
        if rule.window == DAY:
            key, window = redis_key(f"limit:{name}:{today}:{subject}"), to_midnight
        else:
            key, window = limit_key(name, subject), _number(rule.window)
        keys.append(key)
        args += [_number(rule.limit), window, int(rule.kind == "slot")]
        if rule.kind == "slot":
            slots.append(key)
    if then is not None:
        keys += then.keys
        args += then.args
    script = _take_script(then.script if then else "")
    refused, ttl, *counts = run_script(script, keys, args) if keys else (0, 0)
    if refused:
        name = checks[int(refused) - 1][0]
        raise LimitExceeded(name, int(ttl), RULES[name].detail)
    left: dict[str, int] = {}
    for i, ((name, subject), count) in enumerate(zip(checks, counts, strict=True)):
        limit = args[3 * i + 1]
        left[name] = limit - int(count)
        for share in RULES[name].warn_at:  # counts are atomic: each is reached exactly once
            if int(count) == max(1, math.ceil(limit * share)):
                logger.warning(
                    "limit %s [%s] at %d%%: %d of %d", name, subject, share * 100, count, limit
                )
    return Taken(tuple(slots), left)
