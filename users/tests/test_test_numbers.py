"""Test phone numbers: a fixed code, no SMS, no budget; refused in production unless allowed."""

import logging
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from core.redis import redis_connection, redis_key

from .helpers import assert_error, send, verify

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TEST_PHONE, TEST_CODE = "+79000000000", "000000"
NUMBERS = {TEST_PHONE: TEST_CODE}


@override_settings(TEST_PHONE_NUMBERS=NUMBERS, SMS_DAILY_BUDGET=1)
def test_a_test_number_logs_in_with_its_code_and_is_sent_nothing(api, outbox, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="users.otp"):
        sent = send(api, TEST_PHONE)
        assert sent.status_code == 200
        assert "debug_code" not in sent.json()
        assert verify(api, TEST_CODE, phone=TEST_PHONE).status_code == 200
    assert outbox == []
    assert not redis_connection().keys(redis_key("limit:sms_per_day:*"))  # no budget spent
    assert send(api, "+79990000001").status_code == 200  # the whole budget still there
    assert any("+7********00" in r.getMessage() for r in caplog.records)


@override_settings(TEST_PHONE_NUMBERS=NUMBERS, AUTH_CODE_FAILURES_PER_PHONE_HOUR=2)
def test_a_test_number_needs_no_send_but_keeps_the_other_limits(api) -> None:
    assert verify(api, TEST_CODE, phone=TEST_PHONE).status_code == 200  # no send first
    assert_error(verify(api, "111111", phone=TEST_PHONE), 400, "invalid_code")
    assert_error(verify(api, "111111", phone=TEST_PHONE), 400, "invalid_code")
    assert_error(verify(api, TEST_CODE, phone=TEST_PHONE), 429, "too_many_requests")


@override_settings(TEST_PHONE_NUMBERS=NUMBERS)
def test_a_test_number_logs_in_as_often_as_asked(api) -> None:
    for _ in range(8):  # the fixed code is no guess: it never kills the number's code
        assert verify(api, TEST_CODE, phone=TEST_PHONE).status_code == 200


@override_settings(TEST_PHONE_NUMBERS=NUMBERS, AUTH_CODE_SENDS_PER_PHONE_HOUR=3)
def test_a_test_number_has_no_resend_cooldown_but_keeps_its_hourly_cap(api) -> None:
    for _ in range(3):  # nothing is sent, so nothing to wait for
        sent = send(api, TEST_PHONE)
        assert sent.status_code == 200
        assert sent.json()["resend_in"] == 0
    assert_error(send(api, TEST_PHONE), 429, "too_many_requests")


def _production(**extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "referral_system.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "api.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "TEST_PHONE_NUMBERS": f"{TEST_PHONE}:{TEST_CODE}",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, cwd=ROOT, capture_output=True, text=True
    )


def test_production_refuses_test_numbers_unless_allowed() -> None:
    refused = _production()
    assert refused.returncode != 0
    assert "ALLOW_TEST_PHONE_NUMBERS" in refused.stderr
    assert _production(ALLOW_TEST_PHONE_NUMBERS="True").returncode == 0, refused.stderr


@override_settings(TEST_PHONE_NUMBERS=NUMBERS)
def test_check_deploy_warns_while_test_numbers_are_configured() -> None:
    assert "users.W003" in [m.id for m in run_checks(include_deployment_checks=True)]


@pytest.mark.parametrize("value", ["79000000000:000000", "+79000000000:00000", "+79000000000"])
def test_a_malformed_test_number_stops_start_up(value: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from referral_system.settings.base import test_phone_numbers

    with pytest.raises(ImproperlyConfigured):
        test_phone_numbers(value)


@override_settings(REDIS_SHARED=False)
def test_check_deploy_warns_when_limits_are_not_shared() -> None:
    assert "users.W004" in [m.id for m in run_checks(include_deployment_checks=True)]


@pytest.mark.parametrize("exempt", [True, False])
def test_check_deploy_warns_while_loopback_is_exempt_from_limits(exempt: bool) -> None:
    with override_settings(LIMITS_EXEMPT_LOOPBACK=exempt):
        ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert ("users.W005" in ids) is exempt
