"""Fixtures for the whole suite: API clients, users, a clean code store and SMS outbox."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from referral_system.testing import auth_client, redis_clear
from users.models import User
from users.sms import locmem


@pytest.fixture(autouse=True)
def _clean_store_and_outbox() -> Iterator[None]:
    redis_clear()
    locmem.outbox.clear()
    locmem.fail_sends = False
    yield
    redis_clear()
    locmem.fail_sends = False


@pytest.fixture
def outbox() -> list[locmem.SentSms]:
    return locmem.outbox


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1000, 10**6))

    def make(phone: str | None = None, **extra: Any) -> User:
        return User.objects.create_user(phone_number=phone or f"+7999{next(counter):07d}", **extra)

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user("+79990000001")


@pytest.fixture
def user_api(user: User) -> APIClient:
    return auth_client(user)
