"""The one-time code scripts, on real Redis when configured, else on the in-process server."""

import pytest
from django.test import override_settings

from core.limits import Then, limits_take
from users.otp import _PUT, CodeCheck, _code_key, _digest, code_check

PHONE = "+79990000001"


def put(code: str, ttl: int = 60) -> None:
    limits_take(then=Then(_PUT, [_code_key(PHONE, "")], [_digest(PHONE, code), ttl]))


def test_a_code_is_spent_once() -> None:
    assert code_check(phone=PHONE, code="123456") == (CodeCheck.MISSING, 4)  # counted alike
    put("123456")
    assert code_check(phone=PHONE, code="000000") == (CodeCheck.WRONG, 4)
    assert code_check(phone=PHONE, code="123456") == (CodeCheck.OK, 0)
    assert code_check(phone=PHONE, code="123456") == (CodeCheck.MISSING, 4)


@override_settings(AUTH_CODE_MAX_ATTEMPTS=3)
def test_the_last_wrong_attempt_kills_the_code_and_a_new_code_starts_over() -> None:
    put("123456")
    assert [code_check(phone=PHONE, code="000000") for _ in range(3)] == [
        (CodeCheck.WRONG, 2),
        (CodeCheck.WRONG, 1),
        (CodeCheck.WRONG, 0),
    ]
    assert code_check(phone=PHONE, code="123456") == (CodeCheck.DEAD, 0)
    put("111111")
    code_check(phone=PHONE, code="000000")
    put("222222")
    assert code_check(phone=PHONE, code="111111") == (CodeCheck.WRONG, 2)  # replaced, reset
    assert code_check(phone=PHONE, code="222222") == (CodeCheck.OK, 0)


@pytest.mark.parametrize("phone", ["+79990000002"])
def test_a_code_is_bound_to_its_phone(phone) -> None:
    put("123456")
    assert code_check(phone=phone, code="123456")[0] is CodeCheck.MISSING
