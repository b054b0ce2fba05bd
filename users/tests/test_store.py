"""The two stores keep one contract: the in-process one always, Redis when configured."""

import time

import pytest

from referral_system.testing import ON_REDIS
from users.store import CodeCheck, MemoryStore, RedisStore, Store, get_store


def stores() -> list[object]:
    params: list[object] = [pytest.param("memory", id="memory")]
    params.append(
        pytest.param(
            "redis", id="redis", marks=pytest.mark.skipif(not ON_REDIS, reason="REDIS_URL unset")
        )
    )
    return params


@pytest.fixture(params=stores())
def store(request) -> Store:
    if request.param == "memory":
        return MemoryStore()
    shared = get_store()
    assert isinstance(shared, RedisStore)
    return shared


def test_hits_count_within_a_window_then_reset(store: Store) -> None:
    assert [store.hit("k", 1).count for _ in range(3)] == [1, 2, 3]
    assert 0 <= store.ttl("k") <= 1
    time.sleep(1.2)
    assert store.hit("k", 1).count == 1


def test_refund_gives_back_but_never_creates(store: Store) -> None:
    store.refund("absent")
    assert store.hit("absent", 60).count == 1
    store.hit("absent", 60)
    store.refund("absent")
    assert store.hit("absent", 60).count == 2


def test_claim_is_exclusive_until_it_expires_or_is_deleted(store: Store) -> None:
    assert store.claim("c", 60) is True
    assert store.claim("c", 60) is False
    assert 0 < store.ttl("c") <= 60
    store.delete("c")
    assert store.ttl("c") == 0
    assert store.claim("c", 60) is True


def test_codes_are_spent_once_and_die_after_max_attempts(store: Store) -> None:
    assert store.code_check("code", "d", 3) == (CodeCheck.MISSING, 0)
    store.code_put("code", "right", 60)
    assert store.code_check("code", "wrong", 3) == (CodeCheck.WRONG, 2)
    assert store.code_check("code", "right", 3) == (CodeCheck.OK, 0)
    assert store.code_check("code", "right", 3) == (CodeCheck.MISSING, 0)
    store.code_put("code", "right", 60)
    assert [store.code_check("code", "x", 3) for _ in range(3)] == [
        (CodeCheck.WRONG, 2),
        (CodeCheck.WRONG, 1),
        (CodeCheck.WRONG, 0),
    ]
    assert store.code_check("code", "right", 3) == (CodeCheck.MISSING, 0)


def test_a_new_code_replaces_the_old_and_its_attempts(store: Store) -> None:
    store.code_put("code", "first", 60)
    store.code_check("code", "x", 3)
    store.code_put("code", "second", 60)
    assert store.code_check("code", "first", 3) == (CodeCheck.WRONG, 2)
    assert store.code_check("code", "second", 3) == (CodeCheck.OK, 0)


def test_codes_expire(store: Store) -> None:
    store.code_put("code", "right", 1)
    time.sleep(1.2)
    assert store.code_check("code", "right", 3) == (CodeCheck.MISSING, 0)


def test_clear_forgets_everything(store: Store) -> None:
    store.hit("a", 60)
    store.code_put("b", "d", 60)
    store.clear()
    assert store.hit("a", 60).count == 1
    assert store.code_check("b", "d", 3) == (CodeCheck.MISSING, 0)
