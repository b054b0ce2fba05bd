"""The SMS guard: the pumping breaker per destination prefix, known numbers first, and a way
in for a phone's owner while a stranger hammers their number."""

import logging

import pytest
import redis
from django.test import override_settings

from core.limits import breaker_resume
from core.redis import redis_connection, redis_key
from users.otp import KNOWN_FOR, _known_key
from users.sms import locmem
from users.sms.locmem import LocmemBackend

from .helpers import assert_error, last_code, send, verify, wrong

pytestmark = pytest.mark.django_db

PUMPED = "+7999"  # the prefix the tests pump: SMS_BUDGET_PREFIX_LENGTH 5
GUARD = override_settings(
    SMS_PUMPING_GUARD=True,
    SMS_PUMPING_MIN_SENDS=5,
    SMS_PUMPING_MIN_VERIFIED_RATIO=0.2,
    TRUSTED_PROXIES=["127.0.0.1/32"],  # the test client is our proxy: X-Forwarded-For counts
)


class PhoneReachingOutbox(LocmemBackend):
    """The tests' outbox, saying it reaches real phones (as SMS Aero's backend does)."""

    reaches_phones = True


def known(phone: str) -> str:
    """``phone`` as a login some days ago left it: known (a verified code marks it)."""
    redis_connection().set(_known_key(phone), 1, ex=KNOWN_FOR)
    return phone


def pump(api, count: int, prefix: str = PUMPED, start: int = 0) -> list[int]:  # type: ignore[no-untyped-def]
    """Codes to ``count`` new numbers of ``prefix``, each from its own network, none verified."""
    return [
        send(api, f"{prefix}{n:07d}", HTTP_X_FORWARDED_FOR=f"10.{n // 250}.{n % 250}.1").status_code
        for n in range(start, start + count)
    ]


@GUARD
def test_a_pumped_prefix_is_paused_for_new_numbers_only(api, outbox, caplog) -> None:
    number = known(f"{PUMPED}9999999")
    with caplog.at_level(logging.WARNING, logger="core.limits"):
        assert pump(api, 5) == [200] * 5  # 5 sent, none verified
        response = send(api, f"{PUMPED}0000100", HTTP_X_FORWARDED_FOR="20.0.0.1")
        assert_error(response, 503, "sms_paused")
        assert 3590 <= int(response["Retry-After"]) <= 3600  # the window (an hour)
        assert pump(api, 3, start=200) == [503] * 3  # still paused, and not counted
        # The number of an existing account goes on, and so does every other prefix.
        assert send(api, number, HTTP_X_FORWARDED_FOR="20.0.0.2").status_code == 200
        assert send(api, "+79161234567", HTTP_X_FORWARDED_FOR="20.0.0.3").status_code == 200
        assert verify(api, last_code(number), number).status_code == 200
    pauses = [r for r in caplog.records if "paused" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in pauses] == [
        (
            "WARNING",
            f"breaker sms_pumping [{PUMPED}] paused for 3600 s: 5 attempts, 0 succeeded "
            "in the last 3600 s",
        )
    ]
    assert len(outbox) == 5 + 2


@GUARD
def test_codes_that_are_verified_keep_the_prefix_open(api, outbox) -> None:
    for n in range(10):  # 10 sent, 2 verified: 20 %, not fewer
        phone = f"{PUMPED}{n:07d}"
        assert send(api, phone, HTTP_X_FORWARDED_FOR=f"10.0.{n}.1").status_code == 200
        if n % 5 == 0:
            assert (
                verify(api, last_code(phone), phone, HTTP_X_FORWARDED_FOR=f"10.0.{n}.1").status_code
                == 200
            )
    assert pump(api, 1, start=100) == [200]
    assert pump(api, 1, start=101) == [503]  # 11 sent, 2 verified: under 20 %


@GUARD
def test_resuming_a_prefix_judges_it_again_from_then_on(api, outbox) -> None:
    assert pump(api, 6) == [200] * 5 + [503]
    breaker_resume("sms_pumping", PUMPED)
    assert pump(api, 4, start=10) == [200] * 4  # the sends before the resume are not held
    assert pump(api, 1, start=20) == [200]  # against it: 5 new ones are needed again
    assert pump(api, 1, start=21) == [503]


@GUARD
def test_a_send_the_gateway_refused_is_no_attempt(api, outbox) -> None:
    locmem.fail_sends = True
    assert pump(api, 10) == [503] * 10  # sms_unavailable: nothing was sent
    locmem.fail_sends = False
    assert pump(api, 5, start=20) == [200] * 5


@override_settings(SMS_PUMPING_MIN_SENDS=5, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_the_guard_is_on_by_default_only_where_codes_reach_phones(api, outbox) -> None:
    assert pump(api, 8) == [200] * 8  # the tests' outbox reaches no phone: off
    with override_settings(SMS_BACKEND="users.tests.test_sms_guard.PhoneReachingOutbox"):
        assert pump(api, 6, start=100) == [200] * 5 + [503]
    with override_settings(SMS_PUMPING_GUARD=False):
        assert pump(api, 2, start=200) == [200] * 2


@GUARD
def test_the_breaker_s_state_expires_with_its_window(api, outbox) -> None:
    pump(api, 6)
    db = redis_connection()
    keys = list(db.scan_iter(match=redis_key("breaker:*")))
    assert keys
    for key in keys:
        ttl = db.ttl(key)
        assert 0 < ttl <= (3600 if b"paused" in key else 24 * 3600 + 300), (key, ttl)


@override_settings(
    SMS_DAILY_BUDGET_PER_NETWORK=2, SMS_DAILY_BUDGET_PER_PREFIX=4, TRUSTED_PROXIES=["127.0.0.1/32"]
)
def test_known_numbers_are_never_stopped_by_the_narrow_budgets(api, outbox) -> None:
    numbers = [known(f"+7999000010{n}") for n in range(4)]
    for n in range(2):  # the network's budget: two new numbers
        assert send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
    assert_error(
        send(api, "+79990000002", HTTP_X_FORWARDED_FOR="5.5.5.1"), 429, "too_many_requests"
    )
    assert send(api, numbers[0], HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
    # The prefix's budget: one more new number, then only known ones.
    assert send(api, "+79990000003", HTTP_X_FORWARDED_FOR="6.6.6.1").status_code == 200
    assert_error(send(api, "+79990000004", HTTP_X_FORWARDED_FOR="6.6.6.1"), 503, "sms_unavailable")
    for number in numbers[1:]:
        assert send(api, number, HTTP_X_FORWARDED_FOR="6.6.6.1").status_code == 200
    # They counted: the prefix has spent 7 of its 4.
    key = next(redis_connection().scan_iter(match=redis_key("limit:sms_per_prefix_day:*")))
    assert int(redis_connection().get(key) or 0) == 7


@override_settings(
    SMS_DAILY_BUDGET=10, SMS_DAILY_BUDGET_KNOWN_SHARE=20, TRUSTED_PROXIES=["127.0.0.1/32"]
)
def test_a_share_of_the_site_s_budget_is_kept_for_known_numbers(api, outbox) -> None:
    numbers = [known(f"+7916000010{n}") for n in range(3)]
    statuses = [
        send(api, f"+7926{n:07d}", HTTP_X_FORWARDED_FOR=f"5.5.{n}.1").status_code for n in range(9)
    ]
    assert statuses == [200] * 8 + [503]
    assert [
        send(api, number, HTTP_X_FORWARDED_FOR="6.6.6.1").status_code for number in numbers
    ] == [200, 200, 503]


@override_settings(SMS_DAILY_BUDGET_PER_NETWORK=2, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_a_verified_code_gives_its_network_s_sms_back(api, outbox) -> None:
    for n in range(2):
        phone = f"+7999000000{n}"
        assert send(api, phone, HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
        assert (
            verify(api, last_code(phone), phone, HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
        )
    assert send(api, "+79990000002", HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
    assert send(api, "+79990000003", HTTP_X_FORWARDED_FOR="5.5.5.1").status_code == 200
    assert_error(
        send(api, "+79990000004", HTTP_X_FORWARDED_FOR="5.5.5.1"), 429, "too_many_requests"
    )


@override_settings(AUTH_CODE_RESEND_INTERVAL=0, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_a_stranger_s_network_cannot_spend_the_owner_s_sends(api, outbox) -> None:
    owner = "+79991234567"
    for _ in range(5):  # the stranger's network's share of the phone's hour
        assert send(api, owner, HTTP_X_FORWARDED_FOR="66.6.6.6").status_code == 200
    assert_error(send(api, owner, HTTP_X_FORWARDED_FOR="66.6.6.7"), 429, "too_many_requests")
    assert send(api, owner, HTTP_X_FORWARDED_FOR="77.7.7.7").status_code == 200  # the owner
    assert verify(api, last_code(owner), owner, HTTP_X_FORWARDED_FOR="77.7.7.7").status_code == 200
    # A second network of the stranger's spends the rest: the phone's own cap (2 x 5).
    for _ in range(4):
        assert send(api, owner, HTTP_X_FORWARDED_FOR="88.8.8.8").status_code == 200
    assert_error(send(api, owner, HTTP_X_FORWARDED_FOR="99.9.9.9"), 429, "too_many_requests")


@override_settings(
    AUTH_CODE_RESEND_INTERVAL=0, AUTH_CODE_MAX_ATTEMPTS=100, TRUSTED_PROXIES=["127.0.0.1/32"]
)
def test_a_stranger_s_guesses_cannot_spend_the_owner_s_failures(api, outbox) -> None:
    owner = "+79991234567"
    assert send(api, owner, HTTP_X_FORWARDED_FOR="77.7.7.7").status_code == 200
    code = last_code(owner)
    for _ in range(20):  # the stranger's network: its 20 failures an hour
        assert_error(
            verify(api, wrong(code), owner, HTTP_X_FORWARDED_FOR="66.6.6.6"), 400, "invalid_code"
        )
    assert_error(
        verify(api, wrong(code), owner, HTTP_X_FORWARDED_FOR="66.6.6.9"), 429, "too_many_requests"
    )
    response = verify(api, code, owner, HTTP_X_FORWARDED_FOR="77.7.7.7")  # the owner gets in
    assert response.status_code == 200, response.content


def test_redis_down_sends_no_code_to_anyone(api, outbox, monkeypatch) -> None:
    """Fails closed for new numbers, and for known ones too: their code could not be stored,
    so the SMS would be billed for nothing."""
    number = known("+79990000100")

    def down(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("down")

    monkeypatch.setattr("core.limits.run_script", down)
    with override_settings(SMS_PUMPING_GUARD=True):
        for phone in (number, "+79990000101"):
            assert_error(send(api, phone), 503, "service_unavailable")
    assert outbox == []


@GUARD
@override_settings(AUTH_CODE_RESEND_INTERVAL=0)
def test_a_verified_code_makes_its_number_known_for_ninety_days(api, outbox) -> None:
    number = f"{PUMPED}9999999"
    assert send(api, number, HTTP_X_FORWARDED_FOR="20.0.0.1").status_code == 200
    assert (
        verify(api, last_code(number), number, HTTP_X_FORWARDED_FOR="20.0.0.1").status_code == 200
    )
    assert 0 < redis_connection().ttl(_known_key(number)) <= 90 * 24 * 3600
    assert pump(api, 6) == [200] * 5 + [503]  # 6 sent, 1 verified: under 20 %
    assert send(api, number, HTTP_X_FORWARDED_FOR="20.0.0.2").status_code == 200
    redis_connection().delete(_known_key(number))  # ninety days on (or a failover lost it)
    assert_error(send(api, number, HTTP_X_FORWARDED_FOR="20.0.0.3"), 503, "sms_paused")
