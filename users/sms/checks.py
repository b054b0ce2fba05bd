"""Checks: a production site must not print codes or keep them in memory; the login SMS
should fit one part."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils import translation
from django.utils.module_loading import import_string

from .message import login_code_text, sms_parts


@register(Tags.security, deploy=True)
def sms_backend_delivers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` warns when SMS_BACKEND would print codes or never deliver them."""
    backend = import_string(settings.SMS_BACKEND)
    if not getattr(backend, "reaches_phones", False):
        return [
            CheckWarning(
                f"SMS_BACKEND is {settings.SMS_BACKEND}: codes are printed or kept in memory "
                "or a file, never sent to a phone.",
                hint="Set ENABLE_SMS=True with the SMSAERO_* settings.",
                id="users.W001",
            )
        ]
    return []


@register(Tags.compatibility)
def login_sms_fits_one_part(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warns when the login SMS (WebOTP line and app hash included) needs more than one part."""
    warnings: list[CheckMessage] = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            parts = sms_parts(login_code_text("000000"))
        if parts > 1:
            warnings.append(
                CheckWarning(
                    f"The login SMS in {language!r} takes {parts} parts, each one billed.",
                    hint="Shorten SMS_WEBOTP_DOMAIN or drop SMS_RETRIEVER_APP_HASH.",
                    id="users.W002",
                )
            )
    return warnings
