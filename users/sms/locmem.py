import threading
from dataclasses import dataclass

from .base import BaseSmsBackend, SmsSendError


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


outbox: list[SentSms] = []
_lock = threading.Lock()
# Tests set this to make the next sends fail, the way a provider outage would.
fail_sends = False


class LocmemBackend(BaseSmsBackend):
    """Keeps messages in ``users.sms.locmem.outbox``, for tests."""

    def send(self, *, phone: str, text: str) -> None:
        if fail_sends:
            raise SmsSendError("locmem backend told to fail")
        with _lock:
            outbox.append(SentSms(phone, text))
