import re

import pytest
from django.test import override_settings

from core.tests.helpers import limit_reset
from users.sms import locmem

from .helpers import PHONE, assert_error, last_code, send, stored_codes, verify

pytestmark = pytest.mark.django_db


def test_send_code_answers_with_the_normalised_number_and_timers(api, outbox) -> None:
    response = send(api, "+7 (999) 123-45-67")
    assert response.status_code == 200
    assert response.json() == {"phone_number": PHONE, "expires_in": 300, "resend_in": 60}
    assert len(outbox) == 1
    assert outbox[0].phone == PHONE
    assert len(last_code()) == 6 and last_code().isdigit()


def test_same_answer_whether_or_not_the_number_has_an_account(api, make_user) -> None:
    make_user("+79990000111")
    known = send(api, "+79990000111")
    unknown = send(api, "+79990000222")
    assert known.status_code == unknown.status_code == 200
    assert known.json().keys() == unknown.json().keys()
    assert {k: v for k, v in known.json().items() if k != "phone_number"} == {
        k: v for k, v in unknown.json().items() if k != "phone_number"
    }
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())


@override_settings(DEBUG=True, SMS_BACKEND="users.sms.console.ConsoleBackend")
def test_debug_code_only_with_debug_and_console_backend(api, capsys) -> None:
    body = send(api).json()
    assert body["debug_code"] in capsys.readouterr().out
    assert verify(api, body["debug_code"]).status_code == 200


@override_settings(DEBUG=False, SMS_BACKEND="users.sms.console.ConsoleBackend")
def test_no_debug_code_without_debug(api) -> None:
    assert "debug_code" not in send(api).json()


@override_settings(DEBUG=True)
def test_no_debug_code_with_a_real_backend(api) -> None:
    assert "debug_code" not in send(api).json()


def test_code_is_stored_only_as_an_hmac(api) -> None:
    send(api)
    stored = stored_codes()
    assert len(stored) == 1
    assert last_code() not in repr(stored)
    assert re.search(r"[0-9a-f]{64}", repr(stored))


def test_resend_waits_for_the_cooldown(api) -> None:
    assert send(api).status_code == 200
    response = send(api)
    body = assert_error(response, 429, "too_many_requests")
    assert 0 < body["retry_after"] <= 60
    assert response.headers["Retry-After"] == str(body["retry_after"])


@override_settings(AUTH_CODE_RESEND_INTERVAL=1)
def test_at_most_five_codes_per_phone_an_hour(api, outbox) -> None:
    for _ in range(5):
        limit_reset("send_cooldown", PHONE)
        assert send(api).status_code == 200
    limit_reset("send_cooldown", PHONE)
    body = assert_error(send(api), 429, "too_many_requests")
    assert body["retry_after"] > 60
    assert len(outbox) == 5


@override_settings(AUTH_SEND_PER_IP_HOUR=3)
def test_send_codes_per_ip_are_limited(api, outbox) -> None:
    for i in range(3):
        assert send(api, f"+7999000000{i}").status_code == 200
    assert_error(send(api, "+79990000009"), 429, "too_many_requests")
    other_ip = send(api, "+79990000008", REMOTE_ADDR="10.0.0.2")
    assert other_ip.status_code == 200
    assert len(outbox) == 4


@override_settings(AUTH_SEND_PER_IP_HOUR=2)
def test_forwarded_for_is_ignored_without_trusted_proxies(api) -> None:
    for i in range(2):
        assert send(api, f"+7999000000{i}", HTTP_X_FORWARDED_FOR=f"1.1.1.{i}").status_code == 200
    assert_error(
        send(api, "+79990000005", HTTP_X_FORWARDED_FOR="2.2.2.2"), 429, "too_many_requests"
    )


@override_settings(AUTH_SEND_PER_IP_HOUR=2, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_trusted_proxy_count_takes_the_address_our_proxy_saw(api) -> None:
    # The client forged the first entry; our one proxy appended the real address.
    for i in range(2):
        r = send(api, f"+7999000000{i}", HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 5.5.5.5")
        assert r.status_code == 200
    assert_error(
        send(api, "+79990000005", HTTP_X_FORWARDED_FOR="7.7.7.7, 5.5.5.5"), 429, "too_many_requests"
    )
    assert send(api, "+79990000006", HTTP_X_FORWARDED_FOR="5.5.5.6").status_code == 200


@override_settings(SMS_DAILY_BUDGET=2)
def test_global_daily_sms_budget(api, outbox) -> None:
    assert send(api, "+79990000001").status_code == 200
    assert send(api, "+79990000002").status_code == 200
    response = send(api, "+79990000003")
    assert_error(response, 503, "sms_unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert len(outbox) == 2


def test_failed_send_answers_503_and_starts_no_cooldown(api, outbox) -> None:
    locmem.fail_sends = True
    assert_error(send(api), 503, "sms_unavailable")
    assert_error(verify(api, "000000"), 400, "invalid_code")
    locmem.fail_sends = False
    assert send(api).status_code == 200
    assert verify(api, last_code()).status_code == 200


@override_settings(SMS_DAILY_BUDGET=1)
def test_failed_send_gives_the_budget_back(api, outbox) -> None:
    locmem.fail_sends = True
    assert_error(send(api), 503, "sms_unavailable")
    locmem.fail_sends = False
    assert send(api).status_code == 200


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("+7 999 123", "invalid_phone"),
        ("+1 202 555 0134", "phone_region_not_allowed"),
        ("+7 999 ١٢٣-45-67", "invalid_phone"),
    ],
)
def test_bad_numbers_get_their_own_code(api, outbox, phone: str, code: str) -> None:
    body = assert_error(send(api, phone), 400, code)
    assert "phone_number" in body["errors"]
    assert outbox == []
