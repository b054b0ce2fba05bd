"""Responses that may hold someone's data are never stored by browsers or caches."""

import pytest

from users.tests.helpers import auth_client, sign_in

pytestmark = pytest.mark.django_db


def test_authenticated_api_responses_are_not_stored(user) -> None:
    for response in (
        auth_client(user).get("/api/profile/"),
        auth_client(user).get("/api/profile/referrals/"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "Authorization" in response["Vary"]
        assert "Content-Security-Policy" not in response  # JSON is never a page


def test_signed_in_pages_are_not_stored(client, user) -> None:
    sign_in(client, user.phone_number)
    response = client.get("/profile/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_response_that_sets_a_cookie_is_not_stored(user) -> None:
    from django.test import Client

    # A first visit: the phone form sets the CSRF cookie, an invite link starts a session.
    # Stored by a shared cache, the next visitor would be handed the same cookies.
    for path in ("/", f"/i/{user.invite_code}"):
        response = Client().get(path)
        assert response.status_code == 200
        assert response.cookies, path
        assert "no-store" in response["Cache-Control"], path
        assert "Cookie" in response["Vary"], path


def test_a_public_page_without_cookies_may_be_stored() -> None:
    from django.test import Client

    response = Client().get("/redoc/")
    assert response.status_code == 200
    assert not response.cookies
    assert "no-store" not in response.get("Cache-Control", "")
