import time

import pytest
from django.test import override_settings

from core.tests.helpers import limit_reset
from users.models import User

from .helpers import PHONE, assert_error, last_code, login, send, verify, wrong

pytestmark = pytest.mark.django_db


def test_first_login_creates_the_user_then_finds_them(api) -> None:
    first = login(api)
    assert set(first) == {"access", "refresh", "user_id", "is_new_user"}
    assert first["is_new_user"] is True
    user = User.objects.get(pk=first["user_id"])
    assert user.phone_number == PHONE
    assert user.last_login is not None
    limit_reset("send_cooldown", PHONE)
    second = login(api, "8 (999) 123-45-67")
    assert second["is_new_user"] is False
    assert second["user_id"] == first["user_id"]
    assert User.objects.count() == 1


def test_a_code_works_once(api) -> None:
    send(api)
    code = last_code()
    assert verify(api, code).status_code == 200
    assert_error(verify(api, code), 400, "invalid_code")


def test_wrong_code_counts_down_then_the_code_dies(api) -> None:
    send(api)
    code = last_code()
    lefts = [
        assert_error(verify(api, wrong(code)), 400, "invalid_code")["attempts_left"]
        for _ in range(5)
    ]
    assert lefts == [4, 3, 2, 1, 0]
    dead = assert_error(verify(api, code), 400, "code_dead")  # the right code, too late
    assert "new code" in dead["detail"]
    assert send(api).status_code == 200  # and a new one may be asked for at once
    assert verify(api, last_code()).status_code == 200


def test_never_sent_and_expired_codes_look_the_same(api) -> None:
    never = assert_error(verify(api, "123456"), 400, "invalid_code")
    with override_settings(AUTH_CODE_TIMEOUT=1):
        send(api)
    code = last_code()
    time.sleep(2.1)
    expired = assert_error(verify(api, code), 400, "invalid_code")
    assert never.keys() == expired.keys()
    assert never["detail"] == expired["detail"]


@override_settings(AUTH_CODE_RESEND_INTERVAL=1, AUTH_CODE_SENDS_PER_PHONE_HOUR=10)
def test_twenty_failures_per_phone_an_hour_and_a_resend_does_not_reset_them(api) -> None:
    failures = 0
    for _ in range(4):
        limit_reset("send_cooldown", PHONE)
        send(api)
        code = last_code()
        for _ in range(5):
            assert_error(verify(api, wrong(code)), 400, "invalid_code")
            failures += 1
    assert failures == 20
    limit_reset("send_cooldown", PHONE)
    send(api)
    body = assert_error(verify(api, last_code()), 429, "too_many_requests")
    assert body["retry_after"] > 0


@override_settings(AUTH_CODE_FAILURES_PER_PHONE_HOUR=3)
def test_attempts_left_never_promises_more_than_the_phone_has(api) -> None:
    send(api)
    code = last_code()
    lefts = [verify(api, wrong(code)).json()["attempts_left"] for _ in range(3)]
    assert lefts == [2, 1, 0]


@override_settings(AUTH_CODE_FAILURES_PER_PHONE_HOUR=3)
def test_guesses_at_a_number_without_a_code_do_not_lock_its_owner_out(api) -> None:
    for _ in range(10):  # from other clients, say: no SMS sent, nothing to guess
        assert verify(api, "123456").status_code == 400
    send(api)
    code = last_code()
    assert [verify(api, wrong(code)).json()["attempts_left"] for _ in range(2)] == [2, 1]
    assert verify(api, code).status_code == 200  # the owner gets in


def test_answers_never_tell_whether_a_number_has_a_live_code(api) -> None:
    """A stranger's guesses at a number with no code are answered exactly as guesses at a
    live one: the same attempts left, then the same dead code."""
    none = [verify(api, "123456", phone="+79990000011").json() for _ in range(6)]
    send(api, "+79990000012")
    live = [verify(api, "123456", phone="+79990000012").json() for _ in range(6)]
    assert none == live
    assert [b["code"] for b in none] == ["invalid_code"] * 5 + ["code_dead"]


@override_settings(AUTH_VERIFY_PER_IP_HOUR=3)
def test_verifies_per_ip_are_limited(api) -> None:
    for i in range(3):
        assert_error(verify(api, "000000", phone=f"+7999000000{i}"), 400, "invalid_code")
    assert_error(verify(api, "000000", phone="+79990000009"), 429, "too_many_requests")


def test_inactive_users_cannot_log_in(api, make_user) -> None:
    make_user(PHONE, is_active=False)
    send(api)
    assert_error(verify(api, last_code()), 403, "user_inactive")


@pytest.mark.parametrize(
    "code", ["12345", "1234567", "12a456", "１２３４５６", "12 456", 123456, None]
)
def test_malformed_codes_are_refused_as_input(api, code: object) -> None:
    response = api.post(
        "/api/auth/verify-code/", {"phone_number": PHONE, "auth_code": code}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert "auth_code" in body["errors"]
