import threading

from .base import BaseSmsBackend, SentSms, SmsSendError

outbox: list[SentSms] = []
_lock = threading.Lock()
# Tests set this to make the next sends fail, the way a provider outage would.
fail_sends = False
# How many of the latest messages the development inbox shows.
SHOWN = 50


class LocmemBackend(BaseSmsBackend):
    """Keeps messages in ``users.sms.locmem.outbox``, for tests."""

    def send(self, *, phone: str, text: str) -> None:
        if fail_sends:
            raise SmsSendError("locmem backend told to fail")
        with _lock:
            outbox.append(SentSms(phone, text))

    def recent_messages(self) -> list[SentSms]:
        with _lock:
            return outbox[: -SHOWN - 1 : -1]
