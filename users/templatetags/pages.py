"""Filters for the HTML pages: phone numbers and moments as people read them."""

from datetime import datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from users.phone import phone_display

register = template.Library()

# Day, month in words, year, 24-hour time and the time zone: "1 December 2026, 07:27 UTC",
# "1 декабря 2026, 07:27 UTC". Never 12/01 (which day?) nor a.m./p.m.
MOMENT_FORMAT = "j E Y, H:i T"
MOMENT_SECONDS_FORMAT = "j E Y, H:i:s T"


@register.filter
def phone(value: str) -> str:
    """``+79991112233`` → ``+7 999 111-22-33``."""
    return phone_display(value)


@register.filter
def moment(value: datetime | None) -> str:
    """A moment in the current time zone, unambiguous in every language, zone named."""
    if value is None:
        return ""
    return date_format(localtime(value), MOMENT_FORMAT)


@register.filter
def moment_seconds(value: datetime | None) -> str:
    """The same, to the second (the development inbox, where messages come seconds apart)."""
    if value is None:
        return ""
    return date_format(localtime(value), MOMENT_SECONDS_FORMAT)
