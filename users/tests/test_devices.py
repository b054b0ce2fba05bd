"""A session's device named as people know it, from its User-Agent (ua-parser's rules)."""

import pytest
from django.utils import translation

from users.devices import device_name

AGENTS = {
    "Chrome on Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Safari on iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Chrome on iPad": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
    "Safari on macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Edge on Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Firefox on Android": "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    "Firefox on Linux": "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Samsung Internet on Android": "Mozilla/5.0 (Linux; Android 13; SM-S911B) "
    "AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile "
    "Safari/537.36",
}


@pytest.mark.parametrize(("name", "user_agent"), AGENTS.items())
def test_browsers_on_their_platforms(name: str, user_agent: str) -> None:
    with translation.override("en"):
        assert device_name(user_agent) == name


def test_in_russian() -> None:
    with translation.override("ru"):
        assert device_name(AGENTS["Safari on iPhone"]) == "Safari на iPhone"


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        ("curl/8.5.0", "curl"),  # a client with no platform: its name alone
        ("Other Browser/2.0", "Other Browser/2.0"),  # nothing known: the header as sent
        ("", ""),
    ],
)
def test_what_the_parser_does_not_know(user_agent: str, name: str) -> None:
    assert device_name(user_agent) == name
