"""SMS backends, chosen by the SMS_BACKEND setting like Django's EMAIL_BACKEND."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import BaseSmsBackend, SmsSendError


@cache
def _backend(path: str) -> BaseSmsBackend:
    backend: BaseSmsBackend = import_string(path)()
    return backend


def get_sms_backend() -> BaseSmsBackend:
    """The configured backend (one instance per process and setting)."""
    return _backend(settings.SMS_BACKEND)


__all__ = ["BaseSmsBackend", "SmsSendError", "get_sms_backend"]
