"""Settings come from the environment; production refuses to start without real secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from referral_system.settings.keys import secret_problem

ROOT = Path(__file__).resolve().parents[2]


def random_key() -> str:
    """A fresh key production accepts (a literal here would be a key this repository publishes)."""
    while True:
        key = secrets.token_urlsafe(50)
        if secret_problem(key) is None:
            return key


GOOD_SECRET = random_key()
GOOD_JWT_KEY = random_key()


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET", "JWT", "DEBUG"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


WSGI = (
    "import referral_system.wsgi; from django.conf import settings as s; "
    "print(s.SETTINGS_MODULE, s.DEBUG)"
)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY must be set"),
        (
            {"SECRET_KEY": "django-insecure-" + "x" * 60, "JWT_SIGNING_KEY": GOOD_JWT_KEY},
            "SECRET_KEY must be set",
        ),
        ({"SECRET_KEY": GOOD_SECRET}, "JWT_SIGNING_KEY must be set"),
        ({"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_SECRET}, "must differ"),
        (
            {"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT_KEY, "DEBUG": "True"},
            "DEBUG must be off",
        ),
    ],
)
def test_wsgi_uses_production_settings_which_refuse_weak_secrets(
    env: dict[str, str], message: str
) -> None:
    result = run(WSGI, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_wsgi_starts_with_real_secrets() -> None:
    result = run(WSGI, SECRET_KEY=GOOD_SECRET, JWT_SIGNING_KEY=GOOD_JWT_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["referral_system.settings.production", "False"]


def manage_py_settings(expression: str, **env: str) -> list[str]:
    """What ``manage.py`` prints for ``expression`` of its settings (``s``), with the process's
    environment less the settings module, services, SMS backend and DEBUG, plus ``env``."""
    unset = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SMS_BACKEND", "DEBUG"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            f"from django.conf import settings as s; print({expression})",
        ],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in unset}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_manage_py_defaults_to_development_on_embedded_services() -> None:
    assert manage_py_settings(
        "s.SETTINGS_MODULE, s.DEBUG, s.DATABASES['default']['ENGINE'], "
        "s.CACHES['default']['LOCATION'], s.SMS_BACKEND"
    ) == [
        "referral_system.settings.dev",
        "True",
        "django.db.backends.sqlite3",
        "redis://in-process",  # fakeredis, in this process
        "users.sms.console.ConsoleBackend",
    ]


def test_manage_py_follows_debug_false_from_the_env_file(tmp_path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=False\n")
    printed = manage_py_settings("s.DEBUG, s.LIMITS_EXEMPT_LOOPBACK", ENV_FILE=str(env_file))
    assert printed == ["False", "False"]


def test_the_development_server_says_at_start_why_debug_is_off(tmp_path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=False\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))}
    checked = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "users.W006" in checked.stderr + checked.stdout
    assert "Remove DEBUG=False" in checked.stderr + checked.stdout
    plain = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "ENV_FILE": str(tmp_path / "none")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "users.W006" not in plain.stderr + plain.stdout


def test_redis_sentinels_put_the_cache_behind_sentinel() -> None:
    options = "s.CACHES['default']['OPTIONS']"
    printed = manage_py_settings(
        f"s.CACHES['default']['LOCATION'], {options}['CONNECTION_FACTORY'], "
        f"{options}['SENTINELS'][1][1], {options}['SENTINEL_KWARGS']['password'], "
        f"{options}['PASSWORD'], s.REDIS_SHARED",
        REDIS_SENTINELS="10.0.0.1:26379,[::1]:26380",
        REDIS_SENTINEL_MASTER="main",
        REDIS_DB="3",
        REDIS_PASSWORD="data-secret",
        REDIS_SENTINEL_PASSWORD="sentinel-secret",
    )
    assert printed == [
        "redis://main/3",
        "django_redis.pool.SentinelConnectionFactory",
        "26380",
        "sentinel-secret",
        "data-secret",
        "True",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_SENTINELS": "a:1", "REDIS_URL": "redis://x/0"}, "not both"),
        ({"REDIS_SENTINELS": "sentinel-without-port", "REDIS_URL": ""}, "is not host:port"),
        ({"REFERRALS_PAGE_SIZE": "0"}, "REFERRALS_PAGE_SIZE must be"),
        ({"REFERRALS_PAGE_SIZE": "1001"}, "REFERRALS_PAGE_SIZE must be"),
        ({"CLIENT_IPV6_PREFIX": "129"}, "CLIENT_IPV6_PREFIX must be"),
        ({"SMS_BUDGET_PREFIX_LENGTH": "0"}, "SMS_BUDGET_PREFIX_LENGTH must be"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(env: dict[str, str], message: str) -> None:
    result = run(
        "import os, django; "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'referral_system.settings.dev'; django.setup()",
        **env,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_region_codes_are_read_in_any_case() -> None:
    result = run(
        "import os, django; "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'referral_system.settings.dev'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.PHONE_DEFAULT_REGION, s.PHONE_ALLOWED_REGIONS)",
        PHONE_DEFAULT_REGION="ru",
        PHONE_ALLOWED_REGIONS="ru,kz",
    )
    assert result.stdout.strip() == "RU ['RU', 'KZ']", result.stderr
