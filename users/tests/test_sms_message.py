"""The login SMS: WebOTP's last line, the optional app hash, and how many parts it takes."""

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import translation

from users.sms.message import login_code_text, sms_parts, webotp_domain

# A realistic production host, and an SMS Retriever hash (always 11 characters).
DOMAIN = "referrals.example.com"
APP_HASH = "FA+9qCX9VSu"


def test_english_ends_with_the_webotp_line(settings: Any) -> None:
    settings.SMS_WEBOTP_DOMAIN = DOMAIN
    with translation.override("en"):
        text = login_code_text("123456")
    assert text == f"Your login code: 123456\n@{DOMAIN} #123456"


def test_russian_ends_with_the_webotp_line(settings: Any) -> None:
    settings.SMS_WEBOTP_DOMAIN = DOMAIN
    with translation.override("ru"):
        text = login_code_text("123456")
    assert text == f"Код для входа: 123456\n@{DOMAIN} #123456"


def test_app_hash_goes_on_its_own_line_before_the_webotp_line(settings: Any) -> None:
    settings.SMS_WEBOTP_DOMAIN = DOMAIN
    settings.SMS_RETRIEVER_APP_HASH = APP_HASH
    with translation.override("en"):
        lines = login_code_text("123456").splitlines()
    assert lines[-2:] == [APP_HASH, f"@{DOMAIN} #123456"]


@pytest.mark.parametrize(
    ("hosts", "domain"),
    [
        (["localhost", "127.0.0.1"], "localhost"),
        (["*", ".example.com", "[::1]", "app.example.com"], "app.example.com"),
        (["*"], ""),
    ],
)
def test_default_domain_is_the_first_named_allowed_host(
    settings: Any, hosts: list[str], domain: str
) -> None:
    settings.SMS_WEBOTP_DOMAIN = ""
    settings.ALLOWED_HOSTS = hosts
    assert webotp_domain() == domain
    if not domain:
        assert "@" not in login_code_text("123456")


@pytest.mark.parametrize("app_hash", ["", APP_HASH])
def test_each_language_fits_one_sms_part(settings: Any, app_hash: str) -> None:
    """docs/sms.md: English 1 part (GSM-7, <= 160), Russian 1 part (UCS-2, <= 70), hash or not."""
    settings.SMS_WEBOTP_DOMAIN = DOMAIN
    settings.SMS_RETRIEVER_APP_HASH = app_hash
    with translation.override("en"):
        english = login_code_text("123456")
    with translation.override("ru"):
        russian = login_code_text("123456")
    assert sms_parts(english) == 1
    assert sms_parts(russian) == 1
    assert len(russian) <= 70


def test_sms_parts_counts_gsm7_and_ucs2() -> None:
    assert sms_parts("a" * 160) == 1
    assert sms_parts("a" * 161) == 2
    assert sms_parts("[" * 80) == 1  # extension characters take two septets
    assert sms_parts("[" * 81) == 2
    assert sms_parts("я" * 70) == 1
    assert sms_parts("я" * 71) == 2
    assert sms_parts("я" * 134) == 2
    assert sms_parts("я" * 135) == 3


def test_check_warns_when_the_sms_needs_two_parts(settings: Any) -> None:
    settings.SMS_WEBOTP_DOMAIN = "a-very-long-subdomain.of-a-rather-long-domain.example.com"
    settings.SMS_RETRIEVER_APP_HASH = APP_HASH
    with pytest.raises(SystemCheckError, match=r"users\.W002"):
        call_command("check", "--fail-level", "WARNING")
    settings.SMS_WEBOTP_DOMAIN = DOMAIN
    call_command("check", "--fail-level", "WARNING")
