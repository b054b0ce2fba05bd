"""Breakers and trusted requests in the limits' one atomic step, on real Redis when
configured."""

import logging

import pytest
from django.test import override_settings

from core import limits
from core.limits import (
    BreakerCheck,
    BreakerOpen,
    breaker_report,
    breaker_resume,
    breaker_success,
    limits_take,
)
from core.redis import redis_connection, redis_key

SMALL = override_settings(
    SMS_PUMPING_MIN_SENDS=3, SMS_PUMPING_MIN_VERIFIED_RATIO=0.5, SMS_PUMPING_WINDOW=600
)


def trust_key() -> str:
    """A trust key that exists (as users/otp.py's mark of a known number)."""
    key = redis_key("test-trusted")
    redis_connection().set(key, 1)
    return key


def attempt(subject: str = "p", trusted: bool = False) -> limits.Taken:
    check = BreakerCheck("sms_pumping", subject)
    return limits_take(breaker=check, trust_key=trust_key() if trusted else None)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The breaker's slice number, set by the test (slices are 5 minutes)."""
    now = [1000]
    monkeypatch.setattr(limits, "_slice_now", lambda: now[0])
    return now


@SMALL
def test_a_subject_whose_attempts_fail_is_paused_for_a_window(clock, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="core.limits"):
        for _ in range(3):
            attempt()
        with pytest.raises(BreakerOpen) as paused:
            attempt()
        with pytest.raises(BreakerOpen):
            attempt()
    assert (paused.value.subject, paused.value.retry_after) == ("p", 600)
    assert paused.value.status_code == 503
    assert [r.getMessage() for r in caplog.records] == [
        "breaker sms_pumping [p] paused for 600 s: 3 attempts, 0 succeeded in the last 600 s"
    ]
    attempt("q")  # per subject


@SMALL
def test_the_window_slides_slice_by_slice(clock) -> None:
    attempt()
    attempt()
    clock[0] += 2  # ten minutes on: the first slice has left the 600 s window
    attempt()
    attempt()
    clock[0] += 1
    attempt()  # the window holds 3 (2 + 1), none succeeded
    with pytest.raises(BreakerOpen):
        attempt()


@SMALL
def test_successes_keep_it_open_and_trusted_requests_are_counted_never_stopped(clock) -> None:
    attempt()
    breaker_success("sms_pumping", "p")
    attempt()
    attempt()
    breaker_success("sms_pumping", "p")
    attempt()  # judged on 3 attempts, 2 successes
    attempt()  # 4 and 2: half is not fewer than half
    attempt(trusted=True)  # 5 and 2: trips the pause, and goes through
    with pytest.raises(BreakerOpen):
        attempt()
    attempt(trusted=True)
    assert breaker_report("sms_pumping")[0].attempts == 7


@SMALL
def test_a_refunded_attempt_is_no_attempt(clock) -> None:
    for _ in range(5):
        attempt().refund()
    for _ in range(3):
        attempt()


@SMALL
def test_resume_ends_the_pause_and_forgets_what_caused_it(clock) -> None:
    for _ in range(3):
        attempt()
    with pytest.raises(BreakerOpen):
        attempt()
    breaker_resume("sms_pumping", "p")
    for _ in range(3):  # in the same slice as the attempts that paused it
        attempt()
    with pytest.raises(BreakerOpen):
        attempt()


@SMALL
def test_the_report_holds_the_last_day(clock) -> None:
    attempt("old")
    clock[0] += 24 * 12  # a day later: that slice is out of the report
    for _ in range(3):
        attempt("p")
    breaker_success("sms_pumping", "p")
    attempt("q")
    attempt("q")
    for _ in range(2):
        attempt("r")
    with pytest.raises(BreakerOpen):
        attempt("p")
    rows = {row.subject: row for row in breaker_report("sms_pumping")}
    assert sorted(rows) == ["p", "q", "r"]
    assert (rows["p"].attempts, rows["p"].successes, rows["p"].ratio) == (3, 1, 1 / 3)
    assert 0 < rows["p"].paused_for <= 600
    assert (rows["q"].attempts, rows["q"].successes, rows["q"].paused_for) == (2, 0, 0)
    assert [row.subject for row in breaker_report("sms_pumping")] == ["p", "q", "r"]


@override_settings(SMS_DAILY_BUDGET_PER_PREFIX=1, SMS_DAILY_BUDGET=10)
def test_each_rule_says_how_a_trusted_request_meets_it() -> None:
    checks = ("sms_per_prefix_day", "x"), ("sms_new_numbers_per_day", ""), ("sms_per_day", "")
    limits_take(*checks)
    absent = redis_key("test-not-there")
    with pytest.raises(limits.LimitExceeded) as refused:  # a trust key that does not exist
        limits_take(*checks, trust_key=absent)
    assert refused.value.rule == "sms_per_prefix_day"
    taken = limits_take(*checks, trust_key=trust_key())
    assert taken.trusted
    # The prefix's budget counted it and did not refuse; the site's as any request.
    assert (taken.left["sms_per_prefix_day"], taken.left["sms_per_day"]) == (-1, 8)
    assert len(taken.slots) == 2  # a refund gives back only what was counted
    taken.refund()
    # The new numbers' share never counted it: 2 of 8 after one more.
    assert limits_take(*checks[1:]).left == {"sms_new_numbers_per_day": 6, "sms_per_day": 8}


@override_settings(SMS_DAILY_BUDGET=10, SMS_DAILY_BUDGET_KNOWN_SHARE=25)
def test_a_limit_may_be_a_share_of_another() -> None:
    for _ in range(8):  # 75 % of 10, rounded up
        limits_take(("sms_new_numbers_per_day", ""))
    with pytest.raises(limits.LimitExceeded):
        limits_take(("sms_new_numbers_per_day", ""))
