"""An SMS backend that appends each message as a JSON line to a file: tests and development.

Several server processes can share one file, so a test running real servers can read the
codes they sent. Never for production: the codes lie in a file anyone with the path can read.
"""

import fcntl
import json
import os
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import BaseSmsBackend, SmsSendError


class FileBackend(BaseSmsBackend):
    """Appends ``{"phone", "text", "pid", "ts"}`` lines to the file named by SMS_FILE_PATH."""

    def __init__(self) -> None:
        self.path = getattr(settings, "SMS_FILE_PATH", "")
        if not self.path:
            raise ImproperlyConfigured("SMS_FILE_PATH must be set for the file SMS backend.")

    def send(self, *, phone: str, text: str) -> None:
        line = json.dumps({"phone": phone, "text": text, "pid": os.getpid(), "ts": time.time()})
        try:
            with open(self.path, "a", encoding="utf-8") as out:
                # One locked write per message: concurrent workers never interleave lines.
                fcntl.flock(out, fcntl.LOCK_EX)
                out.write(line + "\n")
                out.flush()
        except OSError as exc:
            raise SmsSendError("could not append to the SMS file") from exc
