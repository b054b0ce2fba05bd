"""SMS cost: only numbers that can receive SMS, and budgets that run out narrowest first."""

import logging

import pytest
from django.test import override_settings

from .helpers import assert_error, send


@pytest.mark.parametrize(
    "phone",
    ["+7 800 555-35-35", "+7 495 123-45-67", "+7 809 123-45-67"],  # toll-free, landline, premium
)
def test_only_numbers_that_can_receive_sms_are_sent_codes(api, outbox, phone: str) -> None:
    body = assert_error(send(api, phone), 400, "phone_not_mobile")
    assert "phone_number" in body["errors"]
    assert outbox == []


@override_settings(SMS_DAILY_BUDGET_PER_NETWORK=2, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_one_network_spends_its_own_budget_not_everyone_s(api, outbox) -> None:
    for n, ip in enumerate(["5.5.5.1", "5.5.5.200"]):  # one /24
        assert send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR=ip).status_code == 200
    assert_error(
        send(api, "+79990000009", HTTP_X_FORWARDED_FOR="5.5.5.9"), 429, "too_many_requests"
    )
    assert send(api, "+79990000008", HTTP_X_FORWARDED_FOR="6.6.6.6").status_code == 200
    assert len(outbox) == 3


@override_settings(SMS_DAILY_BUDGET_PER_PREFIX=2, TRUSTED_PROXIES=["127.0.0.1/32"])
def test_a_destination_prefix_spends_its_own_budget(api, outbox) -> None:
    for n in range(2):
        assert send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR=f"5.5.{n}.1").status_code == 200
    response = send(api, "+79990000009", HTTP_X_FORWARDED_FOR="5.5.9.1")
    assert_error(response, 503, "sms_unavailable")
    assert send(api, "+79160000009", HTTP_X_FORWARDED_FOR="5.5.9.1").status_code == 200
    assert len(outbox) == 3


@override_settings(
    SMS_DAILY_BUDGET=10, SMS_DAILY_BUDGET_KNOWN_SHARE=0, TRUSTED_PROXIES=["127.0.0.1/32"]
)
def test_each_budget_is_logged_at_half_four_fifths_and_all_of_it(api, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="core.limits"):
        for n in range(11):
            send(api, f"+7999000001{n}", HTTP_X_FORWARDED_FOR=f"5.5.{n}.1")
    day = [r.getMessage() for r in caplog.records if r.getMessage().startswith("limit sms_per_day")]
    assert [m.split(" at ")[1] for m in day] == ["50%: 5 of 10", "80%: 8 of 10", "100%: 10 of 10"]
