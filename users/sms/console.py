import sys

from .base import BaseSmsBackend


class ConsoleBackend(BaseSmsBackend):
    """Prints each message to stdout: development without a phone."""

    reveals_codes = True

    def send(self, *, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()
