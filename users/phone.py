"""Parse and normalise a phone number to E.164, the only form we store and key by."""

import re

import phonenumbers
from django.conf import settings

from .errors import InvalidPhone, PhoneNotMobile, PhoneRegionNotAllowed

MAX_INPUT_LENGTH = 32
# ASCII digits and the usual punctuation only: phonenumbers would read other scripts' digits.
_ALLOWED = re.compile(r"^\+?[0-9 ()\-.]+$", re.ASCII)


def _parsed(raw: object) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str):
        raise InvalidPhone()
    text = raw.strip()
    if not text or len(text) > MAX_INPUT_LENGTH or not _ALLOWED.match(text):
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    if phonenumbers.region_code_for_number(number) not in settings.PHONE_ALLOWED_REGIONS:
        raise PhoneRegionNotAllowed()
    return number


def phone_normalize(raw: object) -> str:
    """Return the E.164 form of ``raw`` or raise InvalidPhone / PhoneRegionNotAllowed."""
    return phonenumbers.format_number(_parsed(raw), phonenumbers.PhoneNumberFormat.E164)


# What can receive an SMS: mobiles, and numbers whose region's plan cannot tell mobile from
# fixed (the US, for one). Toll-free, premium-rate, shared-cost and landline numbers cannot,
# and sending to them is how SMS pumping earns.
_RECEIVES_SMS = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def phone_for_sms(raw: object) -> str:
    """``phone_normalize(raw)`` for a number that can receive an SMS (parsed once for both
    checks); PhoneNotMobile for one that cannot."""
    number = _parsed(raw)
    if phonenumbers.number_type(number) not in _RECEIVES_SMS:
        raise PhoneNotMobile()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_mask(phone: str) -> str:
    """A phone number fit for logs: country code and last two digits only."""
    return phone[:2] + "*" * max(0, len(phone) - 4) + phone[-2:]


def phone_display(phone: str) -> str:
    """A stored (E.164) number as people read it: ``+7 999 111-22-33``; anything else as is."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
