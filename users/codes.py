"""One-time login codes: issue, store (as an HMAC only), check once, and the limits around them."""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from referral_system.errors import InvalidCode, SmsUnavailable, TooManyRequests

from .phone import phone_mask
from .sms import SmsSendError, get_sms_backend
from .sms.message import login_code_text
from .store import CodeCheck, get_store

logger = logging.getLogger(__name__)

HOUR = 3600


@dataclass(frozen=True)
class SentCode:
    phone_number: str
    expires_in: int
    resend_in: int
    debug_code: str | None = None


def _digest(phone: str, code: str) -> str:
    """The code as stored: an HMAC bound to the phone, useless without SECRET_KEY."""
    return salted_hmac("users.codes", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _seconds_to_utc_midnight() -> int:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))


def code_send(*, phone: str, client_ip: str) -> SentCode:
    """Issue a new code for ``phone`` and send it by SMS, within every limit.

    The limits are taken in order, each one atomic; whatever was taken is given back when
    a later step refuses or the SMS cannot be sent, so a failed send starts no cooldown.
    """
    store = get_store()
    ip_hit = store.hit(f"ip:send:{client_ip}", HOUR)
    if ip_hit.count > settings.AUTH_SEND_PER_IP_HOUR:
        raise TooManyRequests(ip_hit.ttl)

    cooldown_key = f"otp:cooldown:{phone}"
    if not store.claim(cooldown_key, settings.AUTH_CODE_RESEND_INTERVAL):
        raise TooManyRequests(
            store.ttl(cooldown_key), _("A code was sent recently. Wait before asking again.")
        )
    taken: list[str] = []
    code_key = f"otp:code:{phone}"
    try:
        sends = store.hit(f"otp:sends:{phone}", HOUR)
        taken.append(f"otp:sends:{phone}")
        if sends.count > settings.AUTH_CODE_SENDS_PER_PHONE_HOUR:
            raise TooManyRequests(sends.ttl)
        budget_key = f"sms:budget:{datetime.now(UTC):%Y%m%d}"
        budget = store.hit(budget_key, _seconds_to_utc_midnight() + 60)
        taken.append(budget_key)
        if budget.count > settings.SMS_DAILY_BUDGET:
            logger.error("daily SMS budget of %s exhausted", settings.SMS_DAILY_BUDGET)
            raise SmsUnavailable(retry_after=budget.ttl)

        code = f"{secrets.randbelow(10**6):06d}"
        store.code_put(code_key, _digest(phone, code), settings.AUTH_CODE_TIMEOUT)
        backend = get_sms_backend()
        try:
            backend.send(phone=phone, text=login_code_text(code))
        except SmsSendError as exc:
            store.delete(code_key)
            logger.warning("SMS to %s failed: %s", phone_mask(phone), type(exc).__name__)
            raise SmsUnavailable() from None
    except BaseException:
        for key in taken:
            store.refund(key)
        store.delete(cooldown_key)
        raise
    reveal = settings.DEBUG and backend.reveals_codes
    return SentCode(
        phone_number=phone,
        expires_in=settings.AUTH_CODE_TIMEOUT,
        resend_in=settings.AUTH_CODE_RESEND_INTERVAL,
        debug_code=code if reveal else None,
    )


def code_verify(*, phone: str, code: str, client_ip: str) -> None:
    """Spend the code for ``phone`` if ``code`` is right; raise InvalidCode or TooManyRequests.

    A failure slot is taken before the check and given back on success, so no burst of
    parallel guesses can get past the per-phone failure cap.
    """
    store = get_store()
    ip_hit = store.hit(f"ip:verify:{client_ip}", HOUR)
    if ip_hit.count > settings.AUTH_VERIFY_PER_IP_HOUR:
        raise TooManyRequests(ip_hit.ttl)

    failures_key = f"otp:failures:{phone}"
    failures = store.hit(failures_key, HOUR)
    if failures.count > settings.AUTH_CODE_FAILURES_PER_PHONE_HOUR:
        store.refund(failures_key)
        raise TooManyRequests(failures.ttl)
    try:
        result, left = store.code_check(
            f"otp:code:{phone}", _digest(phone, code), settings.AUTH_CODE_MAX_ATTEMPTS
        )
    except BaseException:
        store.refund(failures_key)
        raise
    if result is CodeCheck.OK:
        store.refund(failures_key)
        return
    budget_left = settings.AUTH_CODE_FAILURES_PER_PHONE_HOUR - failures.count
    raise InvalidCode(attempts_left=max(0, min(left, budget_left)))
