from typing import Any

from rest_framework.test import APIClient

from users.phone import phone_normalize
from users.sms import locmem

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
