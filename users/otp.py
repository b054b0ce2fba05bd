"""One-time login codes: issue, store (as an HMAC only), check once, within the limits.

A code lives in Redis as a hash {d: digest, a: wrong attempts, n: the send's network budget};
putting and checking it are each one Lua script, so two concurrent checks of the right code
can never both win.

Known numbers first: a number that proved a code (a login, a number change) within the last
90 days is known, marked in Redis by the check that spent its code and read by the send's one
atomic step. It is never stopped by the narrow SMS budgets (its client's network, its
prefix) nor by the pumping breaker, which pauses codes to the new numbers of a prefix whose
codes are mostly never verified (core.limits.BREAKERS).
"""

import hmac
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.utils.crypto import salted_hmac

from core.client_ip import client_network
from core.limits import (
    BreakerCheck,
    BreakerOpen,
    LimitExceeded,
    Then,
    breaker_success,
    limit_key,
    limits_held,
)
from core.redis import redis_connection, redis_key, run_script_replicated

from .errors import CodeDead, InvalidCode, SmsPaused, SmsUnavailable
from .phone import phone_mask
from .sms import SmsSendError, get_sms_backend
from .sms.message import login_code_text

logger = logging.getLogger(__name__)

KNOWN_FOR = 90 * 24 * 3600  # seconds a number stays known after it proved a code


class CodeCheck(Enum):
    OK = "ok"
    WRONG = "wrong"
    MISSING = "missing"
    DEAD = "dead"


# Run by the send's limits once they let it through (core.limits.Then): THEN_KEYS[1] the
# code's hash; THEN_ARGV[1] digest, THEN_ARGV[2] seconds to live, THEN_ARGV[3] the counter of
# the client network's SMS budget this send spent ('' for none). Replaces any older code.
_PUT = """
redis.call('DEL', THEN_KEYS[1])
redis.call('HSET', THEN_KEYS[1], 'd', THEN_ARGV[1], 'a', 0, 'n', THEN_ARGV[3] or '')
redis.call('EXPIRE', THEN_KEYS[1], THEN_ARGV[2])
"""
# KEYS[1] the code's hash, KEYS[2] the number's resend cooldown; ARGV[1] digest, ARGV[2]
# attempts allowed, ARGV[3] seconds a code lives. Spends a right code. A wrong guess counts;
# the last one kills the code: it stays, dead ('x'), until it would have expired, so the
# right code then gets its own answer, and the cooldown goes (a new code may be asked for at
# once). A guess when no code is live counts the same on a stand-in ('p'), so the answers
# (attempts left, a dead code) never tell a stranger whether a number has a live code. A
# code proved gives its send back to its network's SMS budget (while that day's counter
# lives): that budget counts the codes nobody proved; and marks the number known (KEYS[3],
# for ARGV[4] seconds). Returns {result, attempts left}.
_CHECK = """
local h = redis.call('HMGET', KEYS[1], 'd', 'x', 'n')
if h[2] then return {'dead', 0} end
if h[1] == ARGV[1] then
    redis.call('DEL', KEYS[1])
    if h[3] and h[3] ~= '' and redis.call('EXISTS', h[3]) == 1 then redis.call('DECR', h[3]) end
    redis.call('SET', KEYS[3], 1, 'EX', ARGV[4])
    return {'ok', 0}
end
local result = h[1] and 'wrong' or 'missing'
local used = redis.call('HINCRBY', KEYS[1], 'a', 1)
if used == 1 and not h[1] then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local left = tonumber(ARGV[2]) - used
if left <= 0 then
    redis.call('HDEL', KEYS[1], 'd')
    redis.call('HSET', KEYS[1], 'x', 1)
    redis.call('DEL', KEYS[2])
    left = 0
end
return {result, left}
"""


@dataclass(frozen=True)
class SentCode:
    phone_number: str
    expires_in: int
    resend_in: int
    debug_code: str | None = None


def _code_key(phone: str, purpose: str) -> str:
    """Where ``phone``'s code lives: a login's (no purpose), or one bound to another use (a
    number change of one account), which no login can spend and no other use either."""
    return redis_key(f"otp:{purpose}:{phone}" if purpose else f"otp:{phone}")


def _known_key(phone: str) -> str:
    """Where ``phone`` is marked known: it proved a code within KNOWN_FOR."""
    return redis_key(f"known:{phone}")


def cooldown_key(phone: str) -> str:
    """The Redis key of ``phone``'s resend cooldown (core.limits' send_cooldown rule)."""
    return limit_key("send_cooldown", phone)


def _digest(phone: str, code: str) -> str:
    """The code as stored: an HMAC bound to the phone, useless without SECRET_KEY."""
    return salted_hmac("users.codes", f"{phone}:{code}", algorithm="sha256").hexdigest()


def code_check(*, phone: str, code: str, purpose: str = "") -> tuple[CodeCheck, int]:
    """Spend ``phone``'s code if ``code`` is it; (result, attempts left on this code).

    The spend (or the wrong attempt) is waited for on the replicas (REDIS_WAIT_REPLICAS), so
    a failover after a successful login cannot make the same code work again."""
    result, left = run_script_replicated(
        _CHECK,
        [_code_key(phone, purpose), cooldown_key(phone), _known_key(phone)],
        [
            _digest(phone, code),
            settings.AUTH_CODE_MAX_ATTEMPTS,
            settings.AUTH_CODE_TIMEOUT,
            KNOWN_FOR,
        ],
    )
    return CodeCheck(result.decode() if isinstance(result, bytes) else result), int(left)


# The pumping breaker of codes, per destination prefix (core.limits.BREAKERS).
PUMPING = "sms_pumping"


def pumping_guard_on() -> bool:
    """SMS_PUMPING_GUARD, or when unset, whether the SMS backend reaches real phones."""
    guard = settings.SMS_PUMPING_GUARD
    return get_sms_backend().reaches_phones if guard is None else bool(guard)


def code_send(
    *,
    phone: str,
    client_ip: str,
    purpose: str = "",
    text: Callable[[str], str] = login_code_text,
) -> SentCode:
    """Issue a new code for ``phone`` and send it by SMS, within every limit.

    The limits are one atomic step; when the SMS cannot be sent they are given back (the IP's
    request count excepted), so a failed send starts no cooldown and spends no budget. The
    phone's hourly cap counts per client network too. The SMS budgets run out narrowest
    first: the client's network, the destination's prefix, the new numbers' share, and last
    the whole site's; a known number counts in the narrow ones and is stopped by neither them
    nor the pumping breaker. A test number (TEST_PHONE_NUMBERS) is sent nothing and spends
    none.
    """
    test_code = settings.TEST_PHONE_NUMBERS.get(phone)
    network = client_network(client_ip)
    checks = [
        ("send_per_ip", client_ip),
        ("send_per_phone_network", f"{phone} {network}"),
        ("send_per_phone", phone),
    ]
    breaker, known = None, None
    budget = ""  # the network budget's counter, given back when the code is proved
    if test_code is None:  # a test number is sent nothing: no cooldown, no budget
        prefix = phone[: settings.SMS_BUDGET_PREFIX_LENGTH]
        checks += [
            ("send_cooldown", phone),
            ("sms_per_network_day", network),  # the rules say how a known number meets them
            ("sms_per_prefix_day", prefix),
            ("sms_new_numbers_per_day", ""),
            ("sms_per_day", ""),
        ]
        known = _known_key(phone)
        if pumping_guard_on():
            breaker = BreakerCheck(PUMPING, prefix)
        budget = limit_key("sms_per_network_day", network)
    code = test_code or f"{secrets.randbelow(10**6):06d}"
    key = _code_key(phone, purpose)
    put = Then(_PUT, [key], [_digest(phone, code), settings.AUTH_CODE_TIMEOUT, budget])
    backend = get_sms_backend()
    held = limits_held(*checks, then=put, breaker=breaker, trust_key=known)
    with _sms_budgets_as_unavailable(), held as taken:
        # The code is stored in the same step as the limits are taken.
        try:
            if test_code is None:
                backend.send(phone=phone, text=text(code))
            else:
                logger.warning(
                    "test phone number %s: code not sent (TEST_PHONE_NUMBERS)", phone_mask(phone)
                )
        except SmsSendError as exc:
            if exc.maybe_sent:
                # The gateway took it and did not answer: it may still arrive, and be billed.
                # Its code stays good, and the send counts against every limit.
                logger.warning("SMS to %s unanswered: %s", phone_mask(phone), exc)
            else:
                redis_connection().delete(key)
                taken.refund()
                logger.warning("SMS to %s failed: %s", phone_mask(phone), type(exc).__name__)
            raise SmsUnavailable() from None
    reveal = settings.DEBUG and backend.reveals_codes and test_code is None
    return SentCode(
        phone_number=phone,
        expires_in=settings.AUTH_CODE_TIMEOUT,
        resend_in=0 if test_code else settings.AUTH_CODE_RESEND_INTERVAL,  # none: nothing sent
        debug_code=code if reveal else None,
    )


@contextmanager
def _sms_budgets_as_unavailable() -> Iterator[None]:
    """An SMS budget that ran out, or a pause of the number's prefix, is not the client's own
    doing: 503, not 429."""
    try:
        yield
    except LimitExceeded as exc:
        if exc.rule in ("sms_per_prefix_day", "sms_new_numbers_per_day", "sms_per_day"):
            raise SmsUnavailable(retry_after=exc.retry_after) from None
        raise
    except BreakerOpen as exc:
        raise SmsPaused(retry_after=exc.retry_after) from None


def code_verify(*, phone: str, code: str, client_ip: str, purpose: str = "") -> None:
    """Spend the code for ``phone`` if ``code`` is right; raise InvalidCode or TooManyRequests.

    A failure slot is taken before the check, so no burst of parallel guesses can get past
    the per-phone failure caps (the phone's, and the phone's from this client network: one
    network's guesses never spend the whole phone's). It is given back on success, and when
    no code is live: guesses against a number that has no code cannot guess anything, and
    must not lock its owner out. A code proved counts as verified for the pumping breaker.
    """
    checks = (
        ("verify_per_ip", client_ip),
        ("verify_failures_per_phone_network", f"{phone} {client_network(client_ip)}"),
        ("verify_failures_per_phone", phone),
    )
    test_code = settings.TEST_PHONE_NUMBERS.get(phone)
    with limits_held(*checks) as taken:
        if test_code is not None and hmac.compare_digest(code, test_code):
            # A test number's fixed code always works (no send needed, as Firebase's): it is
            # no guess, so it never counts towards killing the number's code.
            result, left = CodeCheck.OK, 0
        else:
            result, left = code_check(phone=phone, code=code, purpose=purpose)
    if result is CodeCheck.OK and test_code is None and pumping_guard_on():
        breaker_success(PUMPING, phone[: settings.SMS_BUDGET_PREFIX_LENGTH])
    if test_code is not None and result is CodeCheck.MISSING:
        result = CodeCheck.WRONG  # a wrong code for a test number counts as a failure
    if test_code is not None and result is CodeCheck.OK:
        logger.warning("test phone number %s logged in (TEST_PHONE_NUMBERS)", phone_mask(phone))
    if result is not CodeCheck.WRONG:
        # Right, dead, or no code to guess: nothing was guessed, and a stranger's guesses
        # must not spend the owner's failures.
        taken.refund()
    if result is CodeCheck.OK:
        return
    if result is CodeCheck.DEAD:
        raise CodeDead()
    failures_left = min(taken.left[name] for name, _subject in checks[1:])
    raise InvalidCode(attempts_left=max(0, min(left, failures_left)))
