"""Log plumbing: a filter that masks phone numbers, tokens and codes, and an optional JSON format.

Loaded by granian's log config (granian_logging.json) before Django is set up, so nothing here
touches settings.
"""

import json
import logging
import os
import re
from datetime import UTC, datetime

from environ import Env

# Django's plain lines (settings) and granian's: one format.
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# "+7 (999) 123-45-67", "+79991234567": a plus, then 10 to 15 digits with single separators.
_INTERNATIONAL = re.compile(r"\+\d(?:[ \-().]{0,2}\d){9,14}(?!\d)")
# A bare run of 10 to 15 digits, the form SMS gateways use ("79991234567").
_BARE = re.compile(r"(?<![\d.])\d{10,15}(?![\d.])")
# JWTs (three base64url parts, the first a JSON header) and whatever follows "Bearer".
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)
# A one-time code quoted with its field name, in JSON or form style.
_CODE = re.compile(r"""(["']?(?:auth_)?code["']?\s*[:=]\s*["']?)\d{4,8}""", re.IGNORECASE)
# What could end a log line or dress it up in a terminal: control characters (C0, DEL, C1:
# CR, LF, ESC, NEL ...) and Unicode's line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _mask_number(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [c for c in text if c.isdigit()]
    head = "+" if text.startswith("+") else ""
    return f"{head}{digits[0]}{'*' * (len(digits) - 3)}{''.join(digits[-2:])}"


def _escaped(match: re.Match[str]) -> str:
    return match.group(0).encode("unicode_escape").decode("ascii")


def escape_controls(text: str) -> str:
    """``text`` on one line: control characters written as Python escapes (``\\n``,
    ``\\x1b``), so no client input can start a log line of its own."""
    return _CONTROL.sub(_escaped, text)


def _continued(text: str) -> str:
    """A traceback's lines, each escaped, and each after the first indented if it is not yet:
    an exception's message cannot make a line that passes for a record of its own."""
    first, *rest = (escape_controls(line) for line in text.split("\n"))
    return "\n".join([first, *(line if line[:1].isspace() else "  " + line for line in rest)])


def mask_secrets(text: str) -> str:
    """``text`` with phone numbers cut to country digit and last two, tokens and codes hidden."""
    text = _JWT.sub("[token]", text)
    text = _BEARER.sub(r"\1[token]", text)
    text = _CODE.sub(r"\1[code]", text)
    text = _INTERNATIONAL.sub(_mask_number, text)
    return _BARE.sub(_mask_number, text)


class MaskSecretsFilter(logging.Filter):
    """Masks the formatted message and traceback of every record that passes a handler, and
    escapes their control characters (the message on one line; the traceback's lines after
    its first indented)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format: keep both
            message = f"{record.msg} {record.args}"
        record.msg = escape_controls(mask_secrets(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _continued(mask_secrets(record.exc_text))
        if record.stack_info:
            record.stack_info = _continued(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        return json.dumps(entry, ensure_ascii=False)


def json_wanted() -> bool:
    """LOG_JSON from the environment, read as django-environ reads it for the settings."""
    return os.environ.get("LOG_JSON", "").strip().lower() in Env.BOOLEAN_TRUE_STRINGS


def server_formatter() -> logging.Formatter:
    """The formatter of a server's own lines (granian's log config names it): JSON lines when
    LOG_JSON says so, else the plain format Django's lines use."""
    return JsonFormatter() if json_wanted() else logging.Formatter(PLAIN_FORMAT)
