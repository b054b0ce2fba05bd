"""Deployment check: a production site must not print codes or keep them in memory."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

from .locmem import LocmemBackend


@register(Tags.security, deploy=True)
def sms_backend_delivers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` warns when SMS_BACKEND would print codes or never deliver them."""
    backend = import_string(settings.SMS_BACKEND)
    if getattr(backend, "reveals_codes", False) or issubclass(backend, LocmemBackend):
        return [
            CheckWarning(
                f"SMS_BACKEND is {settings.SMS_BACKEND}: codes are printed or kept in memory, "
                "never sent to a phone.",
                hint="Set ENABLE_SMS=True with the SMSAERO_* settings.",
                id="users.W001",
            )
        ]
    return []
