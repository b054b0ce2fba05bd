"""Production refuses published and placeholder keys; `make env`'s keys pass `check --deploy`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from referral_system.settings.keys import PUBLISHED_KEYS, secret_problem

ROOT = Path(__file__).resolve().parents[2]
# The two steps of docs/DEPLOYMENT.md on top of what `make env` writes: TLS and real SMS.
DEPLOYED = {
    "SECURE_SSL_REDIRECT": "True",
    "SESSION_COOKIE_SECURE": "True",
    "CSRF_COOKIE_SECURE": "True",
    "SECURE_PROXY_SSL_HEADER": "True",
    "ENABLE_SMS": "True",
    "SMSAERO_EMAIL": "sms@example.org",
    "SMSAERO_API_KEY": "an-account-key",
    # Codes and limits shared by every worker (compose sets its own Redis).
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def env_file(path: Path) -> dict[str, str]:
    """An env file's KEY=VALUE lines, quotes removed, comments skipped."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"')
    return values


def made_env(tmp_path: Path) -> dict[str, str]:
    """What `make env` writes, read back."""
    target = tmp_path / "made.env"
    result = subprocess.run(
        [sys.executable, "deploy/make_env.py", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return env_file(target)


def manage(
    values: dict[str, str], *args: str, **overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        **values,
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


def test_make_env_keys_pass_check_deploy_with_tls_and_sms_on(tmp_path: Path) -> None:
    result = manage(made_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING", **DEPLOYED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_env_writes_new_keys_each_time_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = made_env(tmp_path / "a"), made_env(tmp_path / "b")
    names = ("SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD")
    keys = [made[name] for made in (first, second) for name in names]
    assert len(set(keys)) == 6 and all(secret_problem(key) is None for key in keys)
    again = subprocess.run(
        [sys.executable, "deploy/make_env.py", str(tmp_path / "a" / "made.env")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "left as it is" in again.stderr
    assert env_file(tmp_path / "a" / "made.env") == first
    assert (tmp_path / "a" / "made.env").stat().st_mode & 0o777 == 0o600  # its owner's only


def test_sample_env_carries_no_usable_secret() -> None:
    result = manage(env_file(ROOT / "sample.env"), "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random value" in result.stderr
    assert "make env" in result.stderr


def scanned_keys() -> set[str]:
    """Every key this repository shows outside the tests (env files, docs, scripts, settings),
    as the scan finds them."""
    assignment = re.compile(
        r"(?:SECRET_KEY|JWT_SIGNING_KEY)\s*[=:]\s*[\"']?([A-Za-z0-9][A-Za-z0-9_\-+/.]{19,})"
    )
    default = re.compile(r"\bor\s+\"([^\"]{20,})\"")
    found: set[str] = set()
    files = [ROOT / "sample.env", ROOT / "Dockerfile", ROOT / "Makefile", ROOT / "README.md"]
    files += [*ROOT.glob("docs/**/*.md"), *ROOT.glob(".ci/**/*"), *ROOT.glob("bench/**/*")]
    files += [*ROOT.glob("*.yml"), *ROOT.glob("referral_system/settings/*.py")]
    for path in files:
        if path.is_file() and path.suffix not in {".pyc", ".png"}:
            text = path.read_text(errors="replace")
            found.update(assignment.findall(text))
            if path.suffix == ".py":
                found.update(default.findall(text))
    return {key for key in found if not key.startswith(("env.", "secrets.", "random_"))}


def test_every_key_this_repository_publishes_is_refused() -> None:
    scanned = scanned_keys()
    assert "django-insecure-dev-only-key-never-use-in-production" in scanned  # the scan works
    accepted = [key for key in scanned | PUBLISHED_KEYS if secret_problem(key) is None]
    assert accepted == []


@pytest.mark.parametrize("key", sorted(PUBLISHED_KEYS))
def test_production_refuses_to_start_with_a_published_key(tmp_path: Path, key: str) -> None:
    result = manage(made_env(tmp_path), "check", JWT_SIGNING_KEY=key)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must be set to a random value" in result.stderr
    assert "make env" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "change-me-" + "kq3Zr8Lw2Nv7Yp4Xt6Hs9Jd1Fb5Mc0Gx" * 2,
        "your-secret-key-goes-here-" + "kq3Zr8Lw2Nv7Yp4Xt6Hs9Jd1Fb5Mc0Gx",
        "example_kq3Zr8Lw2Nv7Yp4Xt6Hs9Jd1Fb5Mc0Gx_kq3Zr8Lw2Nv7Yp4Xt6Hs9Jd1Fb5Mc0Gx",
        "kq3Zr8Lw2Nv7Yp4Xt6Hs9Jd1Fb5Mc0Gx" + "0123456789abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_production_refuses_a_placeholder(tmp_path: Path, key: str) -> None:
    result = manage(made_env(tmp_path), "check", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random value: this one looks like a placeholder" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": "<unset>"}, "SECRET_KEY must be set to a random value"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "SECRET_KEY must be set"),
        ({"JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be set"),
        ({"DEBUG": "True"}, "DEBUG must be off"),
        (
            {"ENABLE_SMS": "True", "SMSAERO_EMAIL": "sms@example.org"},
            "ENABLE_SMS=True needs SMSAERO_API_KEY",
        ),
    ],
)
def test_production_refuses_to_start(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    result = manage(made_env(tmp_path), "check", **overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_warns_about_a_backend_that_never_sends(settings) -> None:  # type: ignore[no-untyped-def]
    for never_sends in ("console.ConsoleBackend", "locmem.LocmemBackend", "file.FileBackend"):
        settings.SMS_BACKEND = f"users.sms.{never_sends}"
        ids = [m.id for m in run_checks(include_deployment_checks=True)]
        assert "users.W001" in ids, never_sends

    settings.SMS_BACKEND = "users.sms.smsaero.SmsAeroBackend"
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "users.W001" not in ids
