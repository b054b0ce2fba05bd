"""Responses that may hold someone's data are never stored by browsers or caches."""

import pytest

from referral_system.testing import auth_client, page_sign_in

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
    page_sign_in(client, user.phone_number)
    response = client.get("/profile/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
