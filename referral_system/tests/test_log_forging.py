"""No client input can write a log line of its own: control characters are escaped in our
lines and in granian's access log, tracebacks included (issue 25)."""

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from referral_system.logs import JsonFormatter, MaskSecretsFilter, escape_controls

ROOT = Path(__file__).resolve().parents[2]
FORGED = "2026-12-06 00:00:00,000 INFO granian.access FAKE"


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        (f"/i/X\n{FORGED}", f"/i/X\\n{FORGED}"),
        (f"/i/X\r\n{FORGED}", f"/i/X\\r\\n{FORGED}"),
        ("/i/X\rGET / 200", "/i/X\\rGET / 200"),
        ("red \x1b[31mERROR\x1b[0m", "red \\x1b[31mERROR\\x1b[0m"),
        ("nul\x00 del\x7f nel\x85", "nul\\x00 del\\x7f nel\\x85"),
        ("line\u2028para\u2029end", "line\\u2028para\\u2029end"),
        ("tab\there", "tab\\there"),
        ("plain /i/ABC123 приглашение ✓", "plain /i/ABC123 приглашение ✓"),
    ],
)
def test_control_characters_are_escaped(raw: str, logged: str) -> None:
    assert escape_controls(raw) == logged


def _through_filter(fn, formatter: logging.Formatter | None = None) -> str:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskSecretsFilter())
    if formatter is not None:
        handler.setFormatter(formatter)
    logger = logging.getLogger("referral_system.tests.log_forging")
    logger.addHandler(handler)
    try:
        fn(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_message_with_a_client_value_stays_one_line() -> None:
    output = _through_filter(lambda log: log.warning("Not Found: %s", f"/i/X\n{FORGED}"))
    assert output == f"Not Found: /i/X\\n{FORGED}\n"


def test_a_traceback_keeps_its_lines_but_its_message_cannot_forge_one() -> None:
    def log(logger: logging.Logger) -> None:
        try:
            raise ValueError(f"bad path /i/X\n{FORGED}\r")
        except ValueError:
            logger.exception("crash")

    lines = _through_filter(log).splitlines()
    assert lines[0] == "crash"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-2:] == ["  ValueError: bad path /i/X", f"  {FORGED}\\r"]
    assert all(line[:1].isspace() for line in lines[2:])  # every line after is a continuation


def test_json_lines_stay_one_object_per_line() -> None:
    output = _through_filter(
        lambda log: log.warning("path %s", f"/i/X\u2028{FORGED}"), JsonFormatter()
    )
    [line] = output.splitlines()
    assert json.loads(line)["message"] == f"path /i/X\\u2028{FORGED}"


GRANIAN_ACCESS = """
import json, sys, time
from granian.log import LogLevels, configure_logging, log_request_builder

configure_logging(LogLevels.info, json.load(open("referral_system/granian_logging.json")))
log = log_request_builder(sys.argv[1])
request = {"addr_remote": "10.0.0.1", "path": sys.argv[2], "qs": "", "method": "GET",
           "scheme": "http", "protocol": "HTTP/1.1"}
log(time.time(), time.perf_counter(), request, 404)
"""


@pytest.mark.parametrize("as_json", [True, False])
def test_granians_access_log_escapes_a_forged_line_as_the_image_configures_it(
    as_json: bool,
) -> None:
    """The Dockerfile's GRANIAN_LOG_CONFIG and --access-log-fmt, run by granian's own code with
    the path it hands over decoded (``/i/X%0A...``)."""
    found = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    assert found
    cmd = json.loads(found[1])
    access_format = cmd[cmd.index("--access-log-fmt") + 1]
    out = subprocess.run(
        [sys.executable, "-c", GRANIAN_ACCESS, access_format, f"/i/X\n{FORGED}"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "LOG_JSON": "true" if as_json else "false"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = out.splitlines()
    message = json.loads(line)["message"] if as_json else line
    assert f'"GET /i/X\\n{FORGED} HTTP/1.1" 404' in message
