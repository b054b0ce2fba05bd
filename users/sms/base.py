from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone


class SmsSendError(Exception):
    """The message could not be handed to the provider. Never carries the message text.

    ``maybe_sent``: the provider took the message and gave no answer (a timeout): it may
    still be delivered, and billed.
    """

    def __init__(self, *args: object, maybe_sent: bool = False) -> None:
        super().__init__(*args)
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class SentSms:
    """A message a development backend kept: to whom, what, and when."""

    phone: str
    text: str
    sent_at: datetime = field(default_factory=timezone.now)


class BaseSmsBackend:
    """A way to deliver a text message; subclasses implement ``send``."""

    #: Whether a person can read codes sent through this backend without a phone
    #: (the console): only then, and only with DEBUG on, is the code echoed to the client.
    reveals_codes = False
    #: Whether messages reach real phones: ``check --deploy`` warns about any backend that
    #: does not (the console, the file, memory).
    reaches_phones = False

    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError

    def recent_messages(self) -> list[SentSms] | None:
        """The latest messages, newest first, for the development inbox; None: none are kept."""
        return None
