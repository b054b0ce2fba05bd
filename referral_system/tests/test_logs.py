"""Logs: phone numbers, tokens and codes are masked; 500s leave a traceback; JSON on request."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.test import APIClient

from referral_system.logs import JsonFormatter, MaskSecretsFilter, mask_secrets

PHONE = "+79991234567"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxfQ.Sfl2KxwRJSMeKKF2QT4fwpMeJf36POk6yJV"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (f"SMS to {PHONE} failed", "SMS to +7********67 failed"),
        ("call +7 (999) 123-45-67 now", "call +7********67 now"),
        ("number=79991234567&x=1", "number=7********67&x=1"),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer [token]"),
        (f'{{"refresh": "{JWT}"}}', '{"refresh": "[token]"}'),
        (
            '{"phone_number": "x", "auth_code": "123456"}',
            '{"phone_number": "x", "auth_code": "[code]"}',
        ),
        ("Your login code: 654321", "Your login code: [code]"),
    ],
)
def test_mask_secrets_hides_phones_tokens_and_codes(raw: str, masked: str) -> None:
    assert mask_secrets(raw) == masked


@pytest.mark.parametrize(
    "kept",
    [
        '127.0.0.1 "POST /api/auth/send-code/ HTTP/1.1" 503 79 2113us',
        "2026-11-26 20:19:18,123 daily SMS budget of 10000 exhausted",
        "ip 192.168.100.200 retry in 3600 seconds",
    ],
)
def test_mask_secrets_keeps_ordinary_log_lines(kept: str) -> None:
    assert mask_secrets(kept) == kept


def _record_through(handler: logging.Handler, fn) -> str:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger = logging.getLogger("referral_system.tests.logs")
    logger.addHandler(handler)
    try:
        fn(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_filter_masks_arguments_and_tracebacks() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskSecretsFilter())

    def log(logger: logging.Logger) -> None:
        logger.warning("SMS to %s, token %s", PHONE, JWT)
        try:
            raise ValueError(f"provider said no to {PHONE}")
        except ValueError:
            logger.exception("send failed")

    output = _record_through(handler, log)
    assert PHONE not in output
    assert JWT not in output
    assert "+7********67" in output
    assert "Traceback" in output
    assert "ValueError: provider said no to +7********67" in output


def test_a_badly_formatted_call_is_still_logged_and_masked() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskSecretsFilter())
    output = _record_through(handler, lambda logger: logger.warning("sent %d", PHONE))
    assert "sent %d ('+7********67',)" in output


def test_json_formatter_writes_one_object_per_line() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskSecretsFilter())
    handler.setFormatter(JsonFormatter())

    def log(logger: logging.Logger) -> None:
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            logger.error("crash for %s", PHONE, exc_info=True)

    [line] = _record_through(handler, log).splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "referral_system.tests.logs"
    assert entry["message"] == "crash for +7********67"
    assert "ZeroDivisionError" in entry["traceback"]


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"bug while serving {PHONE} with {JWT}")


urlpatterns = [path("api/crash/", crash)]


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """What the configured django.request handler writes (the real filter and formatter)."""
    [handler] = [
        h
        for h in logging.getLogger("django.request").handlers
        if any(isinstance(f, MaskSecretsFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    old = handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    handler.setStream(old)  # type: ignore[attr-defined]


@pytest.mark.urls("referral_system.tests.test_logs")
def test_a_500_is_logged_with_its_traceback_and_masked(request_log: io.StringIO) -> None:
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/crash/")

    assert response.status_code == 500
    output = request_log.getvalue()
    assert "ERROR django.request Internal Server Error: /api/crash/" in output
    assert "Traceback" in output
    assert "RuntimeError: bug while serving +7********67 with [token]" in output
    assert PHONE not in output
    assert JWT not in output


GRANIAN_ACCESS = """
import json, sys, time
from granian.log import LogLevels, configure_logging, log_request_builder

configure_logging(LogLevels.info, json.load(open("referral_system/granian_logging.json")))
log = log_request_builder(sys.argv[1])
request = {"addr_remote": "10.0.0.1", "path": "/api/+79991234567/", "qs": "cursor=c2VjcmV0",
           "method": "GET", "scheme": "http", "protocol": "HTTP/1.1"}
log(time.time(), time.perf_counter(), request, 404)
"""


@pytest.mark.parametrize("as_json", [True, False])
def test_granians_lines_go_through_the_mask_as_the_image_configures_them(as_json: bool) -> None:
    """The Dockerfile's GRANIAN_LOG_CONFIG and --access-log-fmt, run by granian's own code."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = re.search(r"^CMD (\[.*\])$", (root / "Dockerfile").read_text(), re.M)
    assert found
    cmd = json.loads(found[1])
    access_format = cmd[cmd.index("--access-log-fmt") + 1]
    env = {"PATH": "/usr/bin:/bin", "LOG_JSON": "true" if as_json else "false"}
    out = subprocess.run(
        [sys.executable, "-c", GRANIAN_ACCESS, access_format],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = out.splitlines()
    assert "79991234567" not in line and "c2VjcmV0" not in line  # no query string either
    message = '10.0.0.1 "GET /api/+7********67/ HTTP/1.1" 404'
    if as_json:
        entry = json.loads(line)
        assert entry["logger"] == "granian.access" and entry["level"] == "INFO"
        assert entry["message"].startswith(message + " ") and entry["message"].endswith("ms")
    else:
        assert f" INFO granian.access {message} " in line
