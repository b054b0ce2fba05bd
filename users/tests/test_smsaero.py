"""The smsaero backend end to end: the real client talks to a fake gateway on loopback."""

import logging
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from core.tests.helpers import redis_clear
from users import sms

from .smsaero_gateway import FakeGateway, self_signed_cert

PHONE = "+79991234567"
EMAIL = "shop@mail.ru"
API_KEY = "k" * 20 + "SECRETKEY"
SIGN = "RefShop"
SEND_URL = "/api/auth/send-code/"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smsaero_settings(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The smsaero backend selected, with a fresh backend instance and code store."""
    settings.SMS_BACKEND = "users.sms.smsaero.SmsAeroBackend"
    settings.SMSAERO_EMAIL = EMAIL
    settings.SMSAERO_API_KEY = API_KEY
    settings.SMSAERO_SIGN = SIGN
    settings.SMSAERO_TEST_MODE = False
    settings.SMSAERO_TIMEOUT = 3
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sms._backend.cache_clear()
    redis_clear()
    yield settings
    sms._backend.cache_clear()
    redis_clear()


@pytest.fixture
def gateway(smsaero_settings, tls_files, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:  # type: ignore[no-untyped-def]
    cert, key = tls_files
    # The client verifies TLS through requests, which trusts this bundle instead of the system's.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with FakeGateway(tls_cert=cert, tls_key=key) as fake:
        smsaero_settings.SMSAERO_URL_GATE = fake.url_gate
        yield fake


def send(phone: str = PHONE):  # type: ignore[no-untyped-def]
    return APIClient().post(SEND_URL, {"phone_number": phone}, format="json")


@pytest.mark.django_db
def test_code_arrives_at_the_gateway_and_logs_in(gateway: FakeGateway, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    response = send()

    assert response.status_code == 200, response.content
    assert "debug_code" not in response.json()
    [arrived] = gateway.arrived
    assert arrived.path == "/v2/sms/send"
    assert (arrived.email, arrived.api_key) == (EMAIL, API_KEY)
    assert arrived.number == 79991234567
    assert arrived.sign == SIGN
    # The whole text: the code, then the WebOTP line for the first allowed host.
    code = re.fullmatch(r"Your login code: (\d{6})\n@\S+ #\1", arrived.text).group(1)  # type: ignore[union-attr]
    assert code not in caplog.text
    assert API_KEY not in caplog.text

    login = APIClient().post(
        "/api/auth/verify-code/", {"phone_number": PHONE, "auth_code": code}, format="json"
    )
    assert login.status_code == 200, login.content


@pytest.mark.django_db
def test_test_mode_uses_the_gateways_test_endpoint(gateway: FakeGateway, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMSAERO_TEST_MODE = True
    assert send().status_code == 200
    assert [a.path for a in gateway.arrived] == ["/v2/sms/testsend"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mode", ["no_credits", "reject", "error", "invalid_json", "http_500", "odd_json"]
)
def test_each_provider_failure_is_sms_unavailable_without_cooldown(
    gateway: FakeGateway,
    mode: str,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    gateway.mode = mode
    response = send()

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The SMS could not be sent. Try again later.",
        "code": "sms_unavailable",
    }
    assert b"PROVIDER" not in response.content
    [arrived] = gateway.arrived
    code = arrived.text.rsplit(" ", 1)[1]
    assert code not in caplog.text
    assert "SMS Aero refused or failed" in caplog.text

    gateway.mode = "ok"
    assert send().status_code == 200, "a failed send must not start the resend cooldown"
    assert len(gateway.arrived) == 2


@pytest.mark.django_db
def test_slow_gateway_times_out_as_sms_unavailable(gateway: FakeGateway) -> None:
    gateway.slow_seconds = 4.5  # the backend waits SMSAERO_TIMEOUT = 3 s
    response = send()

    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"
    # The gateway took the message and did not answer: it may still arrive (and be billed).
    # So its code stays good and the send counts: the cooldown and budgets are spent.
    gateway.slow_seconds = 0
    assert send().status_code == 429
    [arrived] = gateway.arrived
    code = arrived.text.split("\n")[0].rsplit(" ", 1)[1]
    login = APIClient().post(
        "/api/auth/verify-code/", {"phone_number": PHONE, "auth_code": code}, format="json"
    )
    assert login.status_code == 200, login.content


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "slow"), [("http_500", 0.0), ("invalid_json", 0.0), ("ok", 4.5)])
def test_a_message_that_reached_a_gate_is_never_sent_to_the_next(
    smsaero_settings, tls_files, mode: str, slow: float, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # The client tries its gates in turn after any error, the same message each time: three
    # gates, three SMS billed for one code. Once a gate answered, or took the message and did
    # not answer in time, the next must not be sent it.
    cert, key = tls_files
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    smsaero_settings.SMSAERO_URL_GATE = ""
    with (
        FakeGateway(tls_cert=cert, tls_key=key) as first,
        FakeGateway(tls_cert=cert, tls_key=key) as second,
    ):
        first.mode, first.slow_seconds = mode, slow
        sms.get_sms_backend().client.GATE_URLS = [first.url_gate, second.url_gate]  # type: ignore[attr-defined]
        assert send().status_code == 503
        assert (len(first.arrived), len(second.arrived)) == (1, 0)


@pytest.mark.django_db
def test_an_unreachable_gate_is_passed_over_for_the_next(
    smsaero_settings, tls_files, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    cert, key = tls_files
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    smsaero_settings.SMSAERO_URL_GATE = ""
    with FakeGateway(tls_cert=cert, tls_key=key) as working:
        gates = [f"@127.0.0.1:{_closed_port()}/v2/", working.url_gate]
        sms.get_sms_backend().client.GATE_URLS = gates  # type: ignore[attr-defined]
        assert send().status_code == 200
        assert len(working.arrived) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.django_db
def test_unreachable_gateway_is_sms_unavailable(smsaero_settings) -> None:  # type: ignore[no-untyped-def]
    smsaero_settings.SMSAERO_URL_GATE = f"@127.0.0.1:{_closed_port()}/v2/"
    response = send()
    assert response.status_code == 503
    assert response.json()["code"] == "sms_unavailable"


@pytest.mark.django_db
def test_a_tls_failure_never_falls_back_to_plain_http(smsaero_settings, tls_files) -> None:  # type: ignore[no-untyped-def]
    # After a TLS error the client moves to its next gate over http, API key in the URL.
    # The provider's gates are pointed at loopback: an untrusted TLS one, then a plain one.
    cert, key = tls_files
    smsaero_settings.SMSAERO_URL_GATE = ""
    with FakeGateway(tls_cert=cert, tls_key=key) as untrusted, FakeGateway() as plain:
        sms.get_sms_backend().client.GATE_URLS = [untrusted.url_gate, plain.url_gate]  # type: ignore[attr-defined]
        response = send()
    assert response.status_code == 503
    assert untrusted.arrived == []
    assert plain.arrived == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMSAERO_EMAIL", "", "needs SMSAERO_EMAIL"),
        ("SMSAERO_API_KEY", "", "needs SMSAERO_API_KEY"),
        ("SMSAERO_API_KEY", "short", "SMSAERO_* settings are invalid"),
        ("SMSAERO_EMAIL", "not-an-email", "SMSAERO_* settings are invalid"),
    ],
)
def test_bad_settings_stop_the_backend(
    smsaero_settings, name: str, value: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    setattr(smsaero_settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        sms.get_sms_backend()


def _settings_in_subprocess(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; print(settings.SMS_BACKEND)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "referral_system.settings.dev",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_enable_sms_selects_smsaero_and_requires_credentials() -> None:
    missing = _settings_in_subprocess({"ENABLE_SMS": "True", "SMSAERO_EMAIL": EMAIL})
    assert missing.returncode != 0
    assert "ENABLE_SMS=True needs SMSAERO_API_KEY to be set." in missing.stderr

    chosen = _settings_in_subprocess(
        {"ENABLE_SMS": "True", "SMSAERO_EMAIL": EMAIL, "SMSAERO_API_KEY": API_KEY}
    )
    assert chosen.stdout.strip() == "users.sms.smsaero.SmsAeroBackend", chosen.stderr

    off = _settings_in_subprocess({"SMSAERO_EMAIL": "", "SMSAERO_API_KEY": ""})
    assert off.stdout.strip() == "users.sms.console.ConsoleBackend", off.stderr


def test_wsgi_start_up_builds_the_backend_and_stops_on_bad_settings(smsaero_settings) -> None:  # type: ignore[no-untyped-def]
    import importlib

    import referral_system.wsgi as wsgi

    smsaero_settings.SMSAERO_URL_GATE = ""
    assert callable(importlib.reload(wsgi).application)

    sms._backend.cache_clear()
    smsaero_settings.SMSAERO_API_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="SMSAERO_"):
        importlib.reload(wsgi)
