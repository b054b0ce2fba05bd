"""Production settings refuse to start without real secrets; sample.env passes --deploy."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]


def sample_env() -> dict[str, str]:
    """sample.env's KEY=VALUE lines, quotes removed, comments skipped."""
    values = {}
    for line in (ROOT / "sample.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"')
    return values


def manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        **sample_env(),
        "DJANGO_SETTINGS_MODULE": "referral_system.settings.production",
        **overrides,
    }
    env = {k: v for k, v in env.items() if v != "<unset>"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sample_env_passes_check_deploy_at_warning_level() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": "<unset>"}, "SECRET_KEY must be set to a random value"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "SECRET_KEY must be set"),
        ({"JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be set"),
        ({"DEBUG": "True"}, "DEBUG must be off"),
        ({"SMSAERO_API_KEY": "<unset>"}, "ENABLE_SMS=True needs SMSAERO_API_KEY"),
    ],
)
def test_production_refuses_to_start(overrides: dict[str, str], message: str) -> None:
    result = manage("check", **overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_warns_about_a_backend_that_never_sends(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "users.W001" in ids

    settings.SMS_BACKEND = "users.sms.smsaero.SmsAeroBackend"
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "users.W001" not in ids
