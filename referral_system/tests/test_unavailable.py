"""With the database down, people on the HTML pages get a page of their own, not JSON."""

import socket

import pytest
from django.db import connections
from django.test import Client

from core.tests.helpers import ON_POSTGRES
from users.tests.helpers import make_user

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="re-points the database connection at a closed port: PostgreSQL only (CI's "
        "second pass)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def down() -> None:
        conn = connections["default"]
        conn.close()
        monkeypatch.setitem(conn.settings_dict, "PORT", str(_closed_port()))

    yield down
    connections["default"].close()


@pytest.mark.parametrize(("language", "text"), [("en", "Try again"), ("ru", "Попробовать")])
def test_the_profile_page_says_503_in_html(database_down, language: str, text: str) -> None:
    client = Client()
    client.force_login(make_user("+79990000011"))
    database_down()
    response = client.get(
        "/profile/?cursor=x", HTTP_ACCEPT="text/html,*/*", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert text in page
    assert 'href="/profile/?cursor=x"' in page  # "try again" reloads the same page


def test_the_api_keeps_its_json_503(database_down) -> None:
    client = Client()
    user = make_user("+79990000012")
    from users.tokens import token_pair_issue

    access = token_pair_issue(user=user)["access"]
    database_down()
    response = client.get(
        "/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_ACCEPT="text/html,*/*"
    )
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
