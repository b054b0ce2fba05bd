"""Fixtures for the HTML pages, languages and browser tests."""

import re

import pytest
from django.test import Client

from users.models import User
from users.sms import locmem


def last_code(phone: str) -> str:
    """The code in the last SMS sent to ``phone`` (E.164)."""
    texts = [sms.text for sms in locmem.outbox if sms.phone == phone]
    assert texts, f"no SMS was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", texts[-1])
    assert match
    return match.group(1)


@pytest.fixture
def browser_client(db: None) -> Client:
    """Django's test client with CSRF checks on, as a browser meets them."""
    return Client(enforce_csrf_checks=True)


def make_user(phone: str) -> User:
    user: User = User.objects.create_user(phone_number=phone)
    return user
