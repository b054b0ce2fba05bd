class SmsSendError(Exception):
    """The message could not be handed to the provider. Never carries the message text."""


class BaseSmsBackend:
    """A way to deliver a text message; subclasses implement ``send``."""

    #: Whether a person can read codes sent through this backend without a phone
    #: (the console): only then, and only with DEBUG on, is the code echoed to the client.
    reveals_codes = False

    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError
