"""The profile page's activation form and referral list through Django's test client, CSRF
checks on: same services, same rules as the API."""

from typing import Any

from django.test import Client
from django.urls import reverse

from users.models import User
from users.phone import phone_display
from users.tests.helpers import PHONE, make_user, post


def test_activation_success_and_errors(signed_in: Client) -> None:
    me = User.objects.get(phone_number=PHONE)
    inviter = make_user("+79990000002")
    other = make_user("+79990000003")
    cases = [
        ("??", 400, "An invite code is 6 letters and digits."),
        (me.invite_code, 400, "You cannot activate your own invite code."),
        ("ZZZZZZ" if inviter.invite_code != "ZZZZZZ" else "YYYYYY", 404, "no such invite code"),
    ]
    for code, status, message in cases:
        response = post(signed_in, "/profile/invite/", {"invite_code": code}, page="/profile/")
        assert response.status_code == status, code
        assert message in response.content.decode()
    response = post(
        signed_in, "/profile/invite/", {"invite_code": inviter.invite_code.lower()}, "/profile/"
    )
    assert response["Location"] == reverse("page-profile")
    page = signed_in.get("/profile/").content.decode()
    assert "The invite code is activated." in page
    assert 'id="activated-code">' + inviter.invite_code in page
    again = post(signed_in, "/profile/invite/", {"invite_code": other.invite_code}, "/profile/")
    assert again.status_code == 409
    assert "You have already activated an invite code." in again.content.decode()


def test_cycle_is_refused(signed_in: Client) -> None:
    me = User.objects.get(phone_number=PHONE)
    invited = make_user("+79990000004")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    response = post(signed_in, "/profile/invite/", {"invite_code": invited.invite_code}, "/")
    assert response.status_code == 409
    assert "someone you invited" in response.content.decode()


def test_too_many_failed_activations(signed_in: Client, settings: Any) -> None:
    settings.INVITE_FAILURES_PER_USER_HOUR = 1
    post(signed_in, "/profile/invite/", {"invite_code": "ZZZZZ1"}, "/profile/")
    response = post(signed_in, "/profile/invite/", {"invite_code": "ZZZZZ1"}, "/profile/")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()


def test_referrals_are_paged_with_the_cursor(signed_in: Client, settings: Any) -> None:
    settings.REFERRALS_PAGE_SIZE = 2
    me = User.objects.get(phone_number=PHONE)
    phones = [f"+7999000010{i}" for i in range(5)]
    for phone in phones:
        referral = make_user(phone)
        User.objects.filter(pk=referral.pk).update(invited_by=me, invited_at=referral.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=5)
    seen: list[str] = []
    url: str | None = "/profile/"
    while url:
        response = signed_in.get(url)
        page = response.content.decode()
        seen += [p for p in phones if phone_display(p) in page]
        url = response.context["next_url"]
    assert sorted(seen) == sorted(phones)
    assert len(seen) == 5
    bad = signed_in.get("/profile/?cursor=bogus")
    assert bad.status_code == 404  # with the first page and a word on what happened
    assert "does not exist" in bad.content.decode()
    assert bad.context["next_url"] is not None
