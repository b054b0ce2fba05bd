"""Invite links (/i/<CODE>) and the profile page around them, through Django's test client."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse, set_script_prefix

from referrals.links import invite_code_owner, invite_url
from referrals.views import SESSION_INVITE_OFFER
from users.models import User
from users.tests.helpers import PHONE, make_user, post, sign_in

PROFILE_ACTIVATION = reverse("page-profile") + "#activation"


@pytest.fixture
def friend(db: None) -> User:
    return make_user("+79165550011")


def test_invite_url_is_absolute(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["referrals.example.com"]
    request = RequestFactory().get("/", HTTP_HOST="referrals.example.com")
    assert invite_url(request, "D50MJF") == "http://referrals.example.com/i/D50MJF"


@pytest.mark.parametrize("prefix", ["/", "/referrals/", "/a b/CODE/"])
@pytest.mark.parametrize("code", ["D50MJF", "ZZ0001", "CODE12", "a b?c#d"])
def test_invite_url_is_what_reverse_builds(settings: Any, prefix: str, code: str) -> None:
    """The link is reverse()'s path on the request's host, whatever the code (quoted) and the
    script prefix the site is served under."""
    settings.ALLOWED_HOSTS = ["referrals.example.com"]
    request = RequestFactory().get("/", HTTP_HOST="referrals.example.com")
    set_script_prefix(prefix)
    try:
        expected = request.build_absolute_uri(reverse("page-invite-link", args=[code]))
        assert invite_url(request, code) == expected
        assert prefix.replace(" ", "%20") in expected
    finally:
        set_script_prefix("/")


def test_invite_url_follows_a_changed_root_urlconf(settings: Any) -> None:
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    assert invite_url(request, "D50MJF") == "http://testserver/i/D50MJF"
    settings.ROOT_URLCONF = "referrals.tests.moved_urls"
    assert invite_url(request, "D50MJF") == "http://testserver/moved/i/D50MJF"


def test_owner_is_found_forgivingly(friend: User) -> None:
    User.objects.filter(pk=friend.pk).update(invite_code="D01MJF")  # a 0 and a 1 to misread
    assert invite_code_owner(raw_code="do1-mjf") == friend
    assert invite_code_owner(raw_code="D0l-MJF") == friend
    assert invite_code_owner(raw_code="not a code") is None


def test_new_visitor_is_told_they_were_invited_then_offered_after_login(
    browser_client: Client, friend: User
) -> None:
    page = browser_client.get(f"/i/{friend.invite_code}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "You were invited" in text
    assert "Sign in to accept" in text
    assert friend.invite_code in text
    assert "+79165550011" not in text
    assert "+7 916 555-00-11" not in text
    assert browser_client.session[SESSION_INVITE_OFFER] == friend.invite_code

    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    profile = browser_client.get("/profile/").content.decode()
    assert 'id="invite-offer"' in profile
    assert f'value="{friend.invite_code}"' in profile
    me.refresh_from_db()
    assert me.invited_by_id is None  # offered, never activated without the click

    done = post(browser_client, "/profile/invite/", {"invite_code": friend.invite_code})
    assert done["Location"] == reverse("page-profile")
    me.refresh_from_db()
    assert me.invited_by_id == friend.pk
    assert SESSION_INVITE_OFFER not in browser_client.session
    profile = browser_client.get("/profile/").content.decode()
    assert 'id="invite-offer"' not in profile
    assert f'id="activated-code">{friend.invite_code}</code>' in profile


def test_link_with_a_trailing_slash_and_lower_case_works(
    browser_client: Client, friend: User
) -> None:
    page = browser_client.get(f"/i/{friend.invite_code.lower()}/")
    assert page.status_code == 200
    assert browser_client.session[SESSION_INVITE_OFFER] == friend.invite_code


def test_signed_in_visitor_goes_straight_to_the_offer(browser_client: Client, friend: User) -> None:
    sign_in(browser_client)
    response = browser_client.get(f"/i/{friend.invite_code}")
    assert response["Location"] == PROFILE_ACTIVATION
    profile = browser_client.get("/profile/").content.decode()
    assert f'value="{friend.invite_code}"' in profile


@pytest.mark.parametrize("code", ["ZZZZZZ", "abc", "!!!", "A" * 100])
def test_unknown_or_malformed_code_gets_a_friendly_404(
    browser_client: Client, friend: User, code: str
) -> None:
    if code == friend.invite_code:
        pytest.skip("the random code happens to exist")
    response = browser_client.get(f"/i/{code}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Invite link not found" in response.content.decode()
    assert SESSION_INVITE_OFFER not in browser_client.session


def test_own_link_says_so(browser_client: Client) -> None:
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    response = browser_client.get(f"/i/{me.invite_code}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "This is your own invite link" in response.content.decode()
    assert SESSION_INVITE_OFFER not in browser_client.session


def test_own_link_followed_before_login_is_not_offered(browser_client: Client) -> None:
    me = make_user(PHONE)
    browser_client.get(f"/i/{me.invite_code}")
    sign_in(browser_client)
    profile = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="invite-offer"' not in profile
    assert "The invite link you followed is your own." in profile
    assert SESSION_INVITE_OFFER not in browser_client.session


def test_already_activated_says_which(browser_client: Client, friend: User) -> None:
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    User.objects.filter(pk=me.pk).update(invited_by=friend, invited_at=me.date_joined)
    other = make_user("+79165550022")
    response = browser_client.get(f"/i/{other.invite_code}", HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert response.status_code == 200
    assert "You have already activated the code" in text
    assert friend.invite_code in text
    assert other.invite_code in text
    same = browser_client.get(f"/i/{friend.invite_code}", HTTP_ACCEPT_LANGUAGE="en")
    assert "You have already activated this code" in same.content.decode()


def test_link_followed_before_login_by_someone_who_already_activated(
    browser_client: Client, friend: User
) -> None:
    me = make_user(PHONE)
    User.objects.filter(pk=me.pk).update(invited_by=friend, invited_at=me.date_joined)
    other = make_user("+79165550022")
    browser_client.get(f"/i/{other.invite_code}")
    sign_in(browser_client)
    profile = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"but you have already activated the code {friend.invite_code}" in profile
    assert 'id="invite-offer"' not in profile


def test_invite_page_in_russian(browser_client: Client, friend: User) -> None:
    text = browser_client.get(f"/i/{friend.invite_code}", HTTP_ACCEPT_LANGUAGE="ru")
    assert "пригласили по коду" in text.content.decode()
    missing = browser_client.get("/i/ZZZZZZ", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Приглашение не найдено" in missing.content.decode()


def test_a_refused_offer_is_not_offered_again(browser_client: Client) -> None:
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    invited = make_user("+79165550033")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    browser_client.get(f"/i/{invited.invite_code}")
    response = post(browser_client, "/profile/invite/", {"invite_code": invited.invite_code})
    assert response["Location"] == reverse("page-profile") + "#activation"  # with its error
    assert SESSION_INVITE_OFFER not in browser_client.session


def test_profile_shows_the_link_and_its_qr_code(browser_client: Client) -> None:
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    page = browser_client.get("/profile/").content.decode()
    assert f"http://testserver/i/{me.invite_code}" in page
    assert 'id="copy-link"' in page
    assert '<svg width="' in page
    assert 'class="qr"' in page


def test_reloading_the_activation_form_goes_back_to_the_profile(browser_client: Client) -> None:
    assert browser_client.get("/profile/invite/")["Location"] == reverse("page-phone")
    sign_in(browser_client)
    assert browser_client.get("/profile/invite/")["Location"] == reverse("page-profile")


def test_profile_phones_and_dates_are_readable(browser_client: Client, settings: Any) -> None:
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    referral = make_user("+79990000102")
    moment = datetime(2026, 12, 1, 7, 27, tzinfo=UTC)
    User.objects.filter(pk=referral.pk).update(invited_by=me, invited_at=moment)
    User.objects.filter(pk=me.pk).update(referrals_count=1)
    en = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="my-phone">+7 999 123-45-67<' in en
    assert "+7 999 000-01-02" in en
    assert "1 December 2026, 07:27 UTC" in en
    assert "1 person activated your code" in en
    ru = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "1 декабря 2026, 07:27 UTC" in ru
    assert "1 человек активировал ваш код" in ru


@pytest.mark.parametrize(
    ("count", "russian", "english"),
    [
        (0, "Пока никто не активировал ваш код", "Nobody has activated your code yet"),
        (1, "1 человек активировал ваш код", "1 person activated your code"),
        (3, "3 человека активировали ваш код", "3 people activated your code"),
        (5, "5 человек активировали ваш код", "5 people activated your code"),
        (11, "11 человек активировали ваш код", "11 people activated your code"),
        (21, "21 человек активировал ваш код", "21 people activated your code"),
    ],
)
def test_referral_count_in_both_languages(
    browser_client: Client, count: int, russian: str, english: str
) -> None:
    sign_in(browser_client)
    User.objects.filter(phone_number=PHONE).update(referrals_count=count)
    ru = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    en = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert russian in ru
    assert english in en


def test_activation_has_its_own_section(browser_client: Client) -> None:
    sign_in(browser_client)
    page = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sharing, activation = page.index('id="sharing"'), page.index('id="activation"')
    assert sharing < page.index('id="my-code"') < activation < page.index('id="invite"')
    assert "Who invited you" in page


def test_links_to_no_one_are_limited_per_client_so_codes_cannot_be_listed(
    browser_client: Client, friend: User, settings: Any
) -> None:
    # The page tells an existing code from a missing one: misses count against a per-IP
    # allowance of their own; links that lead somewhere cost nothing.
    settings.INVITE_LINK_MISSES_PER_IP_HOUR = 2
    for _ in range(5):
        assert browser_client.get(f"/i/{friend.invite_code}").status_code == 200
    for _ in range(2):
        assert browser_client.get("/i/ZZZZZZ").status_code == 404
    refused = browser_client.get(f"/i/{friend.invite_code}", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 3000
    assert "Too many attempts" in refused.content.decode()
    other = Client(REMOTE_ADDR="192.0.2.7")  # another client keeps its own
    assert other.get(f"/i/{friend.invite_code}").status_code == 200
