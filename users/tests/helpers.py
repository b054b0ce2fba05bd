"""Helpers for the tests of signing in, used by the other apps' tests too: the API's calls,
the code from the SMS outbox, authenticated clients and the HTML sign-in as a person does it."""

from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.redis import redis_connection, redis_key
from users.models import User
from users.phone import phone_normalize
from users.sms import locmem
from users.tokens import token_pair_issue

PHONE = "+79991234567"


def send(api: APIClient, phone: str = PHONE, **extra: Any) -> Any:
    return api.post("/api/auth/send-code/", {"phone_number": phone}, format="json", **extra)


def verify(api: APIClient, code: str, phone: str = PHONE, **extra: Any) -> Any:
    return api.post(
        "/api/auth/verify-code/", {"phone_number": phone, "auth_code": code}, format="json", **extra
    )


def last_code(phone: str = PHONE) -> str:
    """The code in the newest SMS to ``phone`` (the locmem outbox)."""
    phone = phone_normalize(phone)
    for sms in reversed(locmem.outbox):
        if sms.phone == phone:
            return sms.text.rsplit(" ", 1)[-1].lstrip("#")  # the code ends the WebOTP line
    raise AssertionError(f"no SMS to {phone}")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def login(api: APIClient, phone: str = PHONE) -> dict[str, Any]:
    assert send(api, phone).status_code == 200
    response = verify(api, last_code(phone), phone)
    assert response.status_code == 200, response.content
    return response.json()


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def make_user(phone: str) -> User:
    user: User = User.objects.create_user(phone_number=phone)
    return user


def auth_client(user: User) -> APIClient:
    """An API client carrying a fresh access token for ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + token_pair_issue(user=user)["access"])
    return client


def stored_codes() -> list[dict[Any, Any]]:
    """Every one-time code as Redis holds it."""
    db = redis_connection()
    return [db.hgetall(key) for key in db.scan_iter(match=redis_key("otp:*"))]


def post(client: Client, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Open ``page`` (or ``url``) like a browser for the CSRF cookie, then submit the form."""
    client.get(page or url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def sign_in(client: Client, phone: str = PHONE) -> None:
    """Sign ``client`` in on the HTML pages with a code from the SMS outbox, as a person does."""
    response = post(client, "/", {"phone_number": phone})
    assert response.status_code == 302
    assert response["Location"] == reverse("page-code")
    response = post(client, "/code/", {"auth_code": last_code(phone)})
    assert response.status_code == 302
    assert response["Location"] == reverse("page-profile")
