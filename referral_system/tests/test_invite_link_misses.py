"""Invite links to no one count apart from failed activations: a page of <img> tags pointing at
/i/<junk> never blocks a real activation behind the visitor's address (issue 25)."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from users.models import User

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.25"


def test_thirty_link_misses_leave_the_addresss_activations_alone(
    make_user: Any, settings: Any
) -> None:
    assert settings.INVITE_LINK_MISSES_PER_IP_HOUR == 30
    inviter, invited = make_user(), make_user()
    # 30 cookieless GETs, as 30 <img> tags on any page make a browser send.
    for n in range(30):
        assert Client(REMOTE_ADDR=ADDRESS).get(f"/i/ZZZZ{n:02d}").status_code == 404
    refused = Client(REMOTE_ADDR=ADDRESS).get(f"/i/{inviter.invite_code}")
    assert refused.status_code == 429  # the link page: codes cannot be listed there
    api = APIClient(REMOTE_ADDR=ADDRESS)
    api.force_authenticate(invited)
    done = api.post("/api/profile/invite/", {"invite_code": inviter.invite_code}, format="json")
    assert done.status_code == 200, done.content
    assert User.objects.get(pk=invited.pk).invited_by_id == inviter.pk


def test_failed_activations_leave_the_link_page_alone(make_user: Any, settings: Any) -> None:
    settings.INVITE_FAILURES_PER_IP_HOUR = 2
    inviter, invited = make_user(), make_user()
    api = APIClient(REMOTE_ADDR=ADDRESS)
    api.force_authenticate(invited)
    for code in ("ZZZZ01", "ZZZZ02"):
        assert api.post("/api/profile/invite/", {"invite_code": code}, format="json").status_code
    assert Client(REMOTE_ADDR=ADDRESS).get(f"/i/{inviter.invite_code}").status_code == 200
