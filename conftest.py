"""Fixtures for the whole suite: API and browser clients, users, a clean code store and SMS
outbox."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.tests.helpers import redis_clear
from users.models import User
from users.sms import locmem
from users.tests.helpers import auth_client, sign_in


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


@pytest.fixture
def browser_client(db: None) -> Client:
    """Django's test client with CSRF checks on, as a browser meets them."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def signed_in(browser_client: Client) -> Client:
    """A browser signed in on the pages with a code, as ``users.tests.helpers.PHONE``."""
    sign_in(browser_client)
    return browser_client
