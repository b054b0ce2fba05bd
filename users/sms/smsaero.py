"""Real SMS through SMS Aero (the smsaero-api client); every provider failure is SmsSendError."""

import logging
import threading

import email_validator
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import BaseAdapter, HTTPAdapter
from smsaero import SmsAero
from urllib3.exceptions import NewConnectionError

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


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the request failed before a connection carried it (refused, no such host, a
    connect timeout, a TLS handshake): then no gate has the message."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


class _OneGateOnceReached(HTTPAdapter):
    """HTTPS to the gates, at most one of which gets each message.

    The client tries its gates in turn after any error, the same message each time: three
    SMS billed for one code when the first gate was slow or answered oddly. Once a gate has
    answered, or taken the message without answering, the next is refused unsent; a gate
    that could not be reached is passed over for the next, as the client intends.
    """

    def __init__(self) -> None:
        super().__init__()
        self._send = threading.local()

    def begin(self) -> None:
        """A new message: no gate has it yet."""
        self._send.reached = self._send.unanswered = False

    @property
    def unanswered(self) -> bool:
        """Whether a gate took this message and did not answer."""
        return bool(getattr(self._send, "unanswered", False))

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(self._send, "reached", False):
            raise requests.ConnectionError("not sent to another gate: one has the message")
        try:
            response = super().send(request, *args, **kwargs)
        except requests.ConnectionError as exc:
            if not _never_connected(exc):
                self._send.reached = self._send.unanswered = True
            raise
        except requests.Timeout:
            self._send.reached = self._send.unanswered = True
            raise
        self._send.reached = True
        return response


class SmsAeroBackend(BaseSmsBackend):
    """Sends each message through SMS Aero with the SMSAERO_* settings."""

    reaches_phones = True

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
        self.gates = _OneGateOnceReached()
        session = self.client._SmsAero__sess
        session.mount("http://", _RefusePlainHttp())
        session.mount("https://", self.gates)

    def send(self, *, phone: str, text: str) -> None:
        self.gates.begin()
        try:
            self.client.send_sms(int(phone.lstrip("+")), text)
        except Exception as exc:  # an answer the client does not expect raises anything
            # The class name only: a provider's message may quote the text, and so the code.
            logger.warning("SMS Aero refused or failed: %s", type(exc).__name__)
            raise SmsSendError(type(exc).__name__, maybe_sent=self.gates.unanswered) from None
