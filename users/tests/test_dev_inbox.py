"""The development SMS inbox: /dev/sms/ and /dev/sms.json, 404 whenever DEBUG is off."""

from typing import Any

import pytest
from django.test import Client

from users.sms import console, get_sms_backend, locmem
from users.sms.base import BaseSmsBackend

from .helpers import PHONE, post

URLS = ["/dev/sms/", "/dev/sms.json"]


@pytest.fixture
def debug(settings: Any) -> Any:
    settings.DEBUG = True
    return settings


@pytest.mark.parametrize(
    "backend",
    [
        "users.sms.console.ConsoleBackend",
        "users.sms.locmem.LocmemBackend",
        "users.sms.smsaero.SmsAeroBackend",
    ],
)
@pytest.mark.parametrize("url", URLS)
def test_404_whenever_debug_is_off(client: Client, settings: Any, backend: str, url: str) -> None:
    settings.DEBUG = False
    settings.SMS_BACKEND = backend
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", URLS)
def test_404_for_a_backend_that_keeps_nothing(client: Client, debug: Any, url: str) -> None:
    debug.SMS_BACKEND = "users.sms.file.FileBackend"
    debug.SMS_FILE_PATH = "/dev/null"
    assert get_sms_backend().recent_messages() is None
    assert client.get(url).status_code == 404


def test_json_lists_the_latest_messages_newest_first(browser_client: Client, debug: Any) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    post(browser_client, "/", {"phone_number": "+79990000009"})
    messages = browser_client.get("/dev/sms.json").json()["messages"]
    assert [m["phone"] for m in messages] == ["+79990000009", PHONE]
    assert set(messages[0]) == {"time", "phone", "text"}
    assert messages[1]["text"] == locmem.outbox[0].text
    assert messages[0]["time"] >= messages[1]["time"]


def test_page_shows_time_phone_and_text(browser_client: Client, debug: Any) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    page = browser_client.get("/dev/sms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "+7 999 123-45-67" in page
    assert locmem.outbox[0].text.splitlines()[0] in page
    assert "UTC" in page


def test_empty_inbox(client: Client, debug: Any) -> None:
    assert client.get("/dev/sms.json").json() == {"messages": []}
    assert 'id="inbox-empty"' in client.get("/dev/sms/").content.decode()


def test_console_backend_keeps_the_last_50(debug: Any, capsys: pytest.CaptureFixture[str]) -> None:
    debug.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    console.recent.clear()
    backend = get_sms_backend()
    for n in range(60):
        backend.send(phone=PHONE, text=f"message {n}")
    kept = backend.recent_messages()
    assert kept is not None
    assert len(kept) == console.KEPT == 50
    assert [m.text for m in kept[:2]] == ["message 59", "message 58"]
    assert kept[-1].text == "message 10"
    assert "[SMS to +79991234567] message 59" in capsys.readouterr().out


def test_code_page_links_to_the_inbox_only_when_there_is_one(
    browser_client: Client, settings: Any
) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    assert 'id="dev-inbox-link"' not in browser_client.get("/code/").content.decode()
    settings.DEBUG = True
    assert 'id="dev-inbox-link"' in browser_client.get("/code/").content.decode()


def test_backends_keep_nothing_by_default() -> None:
    assert BaseSmsBackend().recent_messages() is None
