"""The login SMS: the code for people, then the lines that let phones fill it in by themselves.

The last line is the WebOTP origin-bound line ``@<domain> #<code>``: Chrome (Android, and
desktop through a paired phone) offers the code to the page on that domain. An Android SMS
Retriever app hash, when configured, goes on the line before it, since WebOTP needs its line
to be the last one.
"""

import math

from django.conf import settings
from django.utils.translation import gettext as _

# GSM 03.38: the basic set (one septet each) and its extension (escape + one septet).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"


def webotp_domain() -> str:
    """SMS_WEBOTP_DOMAIN, else the first allowed host that names one host ("" if none)."""
    if settings.SMS_WEBOTP_DOMAIN:
        return str(settings.SMS_WEBOTP_DOMAIN)
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith((".", "[")):
            return str(host)
    return ""


def login_code_text(code: str) -> str:
    """The text of the SMS that carries a login code, in the current language."""
    return _code_text(_("Your login code: %(code)s") % {"code": code}, code)


def phone_change_code_text(code: str) -> str:
    """The text of the SMS that confirms a new number for an account."""
    return _code_text(_("Your code to confirm this number: %(code)s") % {"code": code}, code)


def _code_text(first_line: str, code: str) -> str:
    lines = [first_line]
    if settings.SMS_RETRIEVER_APP_HASH:
        lines.append(settings.SMS_RETRIEVER_APP_HASH)
    domain = webotp_domain()
    if domain:
        lines.append(f"@{domain} #{code}")
    return "\n".join(lines)


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` takes: GSM-7 when every character has a septet (160 in one
    part, 153 per part when split), else UCS-2 (70 in one part, 67 per part when split)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, per_part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, per_part = 70, 67
    return 1 if units <= single else math.ceil(units / per_part)
