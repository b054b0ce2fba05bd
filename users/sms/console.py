import sys
import threading
from collections import deque

from .base import BaseSmsBackend, SentSms

KEPT = 50
# The latest messages, for the development inbox (/dev/sms/): bounded, so a long-running
# development server does not grow.
recent: deque[SentSms] = deque(maxlen=KEPT)
_lock = threading.Lock()


class ConsoleBackend(BaseSmsBackend):
    """Prints each message to stdout (and keeps the last 50): development without a phone."""

    reveals_codes = True

    def send(self, *, phone: str, text: str) -> None:
        with _lock:
            recent.append(SentSms(phone, text))
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()

    def recent_messages(self) -> list[SentSms]:
        with _lock:
            return list(reversed(recent))
