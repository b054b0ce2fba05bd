"""The rate-limit scripts, on real Redis when configured, else on the in-process server."""

import time
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from core.limits import (
    RULES,
    LimitExceeded,
    Then,
    _seconds_to_utc_midnight,
    limits_held,
    limits_take,
)
from core.redis import redis_connection, redis_key


def count(rule: str, subject: str) -> int | None:
    value = redis_connection().get(redis_key(f"limit:{rule}:{subject}"))
    return None if value is None else int(value)


@override_settings(AUTH_SEND_PER_IP_HOUR=2, AUTH_CODE_SENDS_PER_PHONE_HOUR=2)
def test_a_rule_lets_its_limit_through_then_refuses_with_the_wait() -> None:
    for left in (1, 0):
        assert limits_take(("send_per_phone_network", "p")).left == {"send_per_phone_network": left}
    with pytest.raises(LimitExceeded) as refused:
        limits_take(("send_per_phone_network", "p"))
    assert refused.value.rule == "send_per_phone_network"
    assert 3590 <= refused.value.retry_after <= 3600
    limits_take(("send_per_phone_network", "other"))  # per subject


@override_settings(AUTH_SEND_PER_IP_HOUR=1, AUTH_CODE_SENDS_PER_PHONE_HOUR=1)
def test_refused_requests_count_but_refused_slots_are_given_back() -> None:
    limits_take(("send_per_ip", "ip"))
    limits_take(("send_per_phone_network", "p"))
    for _ in range(3):
        with pytest.raises(LimitExceeded):
            limits_take(("send_per_ip", "ip"))
        with pytest.raises(LimitExceeded):
            limits_take(("send_per_phone_network", "p"))
    assert count("send_per_ip", "ip") == 4  # a client that keeps asking stays refused
    assert count("send_per_phone_network", "p") == 1


@override_settings(AUTH_SEND_PER_IP_HOUR=10, AUTH_CODE_SENDS_PER_PHONE_HOUR=1)
def test_a_later_refusal_gives_back_the_earlier_slots_in_the_same_step() -> None:
    limits_take(("send_per_phone_network", "p"))
    with pytest.raises(LimitExceeded) as refused:
        limits_take(("send_cooldown", "q"), ("send_per_ip", "ip"), ("send_per_phone_network", "p"))
    assert refused.value.rule == "send_per_phone_network"
    assert count("send_cooldown", "q") == 0  # its slot given back: no cooldown started
    assert count("send_per_ip", "ip") == 1  # requests are counted, refused or not


_SET = "redis.call('SET', THEN_KEYS[1], THEN_ARGV[1] .. THEN_ARGV[2])"


@override_settings(AUTH_CODE_SENDS_PER_PHONE_HOUR=1)
def test_a_then_step_writes_only_when_every_rule_let_the_request_through() -> None:
    target = redis_key("then-target")
    redis_connection().delete(target)
    limits_take(("send_per_phone_network", "p"), then=Then(_SET, [target], ["first", "!"]))
    assert redis_connection().get(target) == b"first!"
    with pytest.raises(LimitExceeded):
        limits_take(("send_per_phone_network", "p"), then=Then(_SET, [target], ["second", "!"]))
    assert redis_connection().get(target) == b"first!"
    limits_take(then=Then(_SET, [target], ["no rules", "."]))
    assert redis_connection().get(target) == b"no rules."


@override_settings(AUTH_CODE_SENDS_PER_PHONE_HOUR=5)
def test_refund_gives_slots_back_and_never_creates_a_counter() -> None:
    taken = limits_take(("send_per_ip", "ip"), ("send_per_phone_network", "p"))
    taken.refund()
    assert count("send_per_phone_network", "p") == 0
    assert count("send_per_ip", "ip") == 1  # not a slot
    redis_connection().delete(redis_key("limit:send_per_phone_network:p"))
    taken.refund()
    assert count("send_per_phone_network", "p") is None


@override_settings(AUTH_CODE_RESEND_INTERVAL=1)
def test_a_window_ends() -> None:
    limits_take(("send_cooldown", "p"))
    with pytest.raises(LimitExceeded) as refused:
        limits_take(("send_cooldown", "p"))
    assert str(refused.value.detail).startswith("A code was sent recently")
    time.sleep(1.1)
    limits_take(("send_cooldown", "p"))


def test_a_daily_budget_ends_at_utc_midnight() -> None:
    limits_take(("sms_per_day", ""))
    key = redis_key(f"limit:sms_per_day:{datetime.now(UTC):%Y%m%d}:")
    ttl = redis_connection().ttl(key)
    assert 0 < ttl <= _seconds_to_utc_midnight(datetime.now(UTC)) + 60
    assert _seconds_to_utc_midnight(datetime(2026, 1, 1, 23, 59, 30, tzinfo=UTC)) == 30


def test_every_rule_reads_numbers_that_exist() -> None:
    from django.conf import settings

    for name, rule in RULES.items():
        for value in (rule.limit, rule.window):
            if isinstance(value, str) and value != "day":
                assert isinstance(getattr(settings, value), int), (name, value)


def test_a_held_slot_goes_back_when_the_block_fails_for_a_reason_not_the_clients() -> None:
    from django.db import OperationalError

    from core.errors import ApiError

    with pytest.raises(OperationalError), limits_held(("send_per_phone_network", "down")):
        raise OperationalError("the database is down")
    assert count("send_per_phone_network", "down") == 0
    with pytest.raises(ApiError), limits_held(("send_per_phone_network", "wrong")):
        raise ApiError()  # the client's own failure keeps its slot
    assert count("send_per_phone_network", "wrong") == 1
    with limits_held(("send_per_phone_network", "ok")) as taken:
        taken.refund()
        taken.refund()  # once only
    assert count("send_per_phone_network", "ok") == 0
