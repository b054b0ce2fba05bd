"""Real SMS through SMS Aero (the smsaero-api client); every provider failure is SmsSendError."""

import logging

import email_validator
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import BaseAdapter
from smsaero import SmsAero, SmsAeroException

from .base import BaseSmsBackend, SmsSendError

logger = logging.getLogger(__name__)

# The client checks the account e-mail's DNS records when it is built; a DNS hiccup must not
# stop SMS from going out (SMS Aero checks the account itself on every request).
email_validator.CHECK_DELIVERABILITY = False

REQUIRED_SETTINGS = ("SMSAERO_EMAIL", "SMSAERO_API_KEY", "SMSAERO_SIGN")


class _RefusePlainHttp(BaseAdapter):
    """Refuses every plain-HTTP request: the client would retry over http after a TLS error,
    sending the API key in clear text."""

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise requests.ConnectionError("plain HTTP to the SMS gateway is refused")

    def close(self) -> None:
        pass


class SmsAeroBackend(BaseSmsBackend):
    """Sends each message through SMS Aero with the SMSAERO_* settings."""

    def __init__(self) -> None:
        missing = [name for name in REQUIRED_SETTINGS if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(
                f"The smsaero SMS backend needs {', '.join(missing)} to be set."
            )
        try:
            self.client = SmsAero(
                settings.SMSAERO_EMAIL,
                settings.SMSAERO_API_KEY,
                signature=settings.SMSAERO_SIGN,
                timeout=settings.SMSAERO_TIMEOUT,
                url_gate=settings.SMSAERO_URL_GATE or None,
                test_mode=settings.SMSAERO_TEST_MODE,
            )
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"SMSAERO_* settings are invalid: {exc}") from None
        self.client._SmsAero__sess.mount("http://", _RefusePlainHttp())

    def send(self, *, phone: str, text: str) -> None:
        try:
            self.client.send_sms(int(phone.lstrip("+")), text)
        except (SmsAeroException, requests.RequestException, TypeError, ValueError) as exc:
            # The class name only: a provider's message may quote the text, and so the code.
            logger.warning("SMS Aero refused or failed: %s", type(exc).__name__)
            raise SmsSendError(type(exc).__name__) from None
