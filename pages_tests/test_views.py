"""The HTML pages through Django's test client, CSRF checks on: same services, same rules."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from referral_system.testing import limit_reset
from users.models import User
from users.phone import phone_display
from users.sms import locmem

from .conftest import last_code, make_user

PHONE = "+79991234567"


def post(client: Client, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Open ``page`` (or ``url``) like a browser for the CSRF cookie, then submit the form."""
    client.get(page or url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def sign_in(client: Client, phone: str = PHONE) -> None:
    response = post(client, "/", {"phone_number": phone})
    assert response.status_code == 302
    assert response["Location"] == reverse("page-code")
    response = post(client, "/code/", {"auth_code": last_code(phone)})
    assert response.status_code == 302
    assert response["Location"] == reverse("page-profile")


@pytest.fixture
def signed_in(browser_client: Client) -> Client:
    sign_in(browser_client)
    return browser_client


def test_phone_page_in_english(browser_client: Client) -> None:
    response = browser_client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Enter your phone number" in response.content.decode()


def test_post_without_csrf_token_is_refused(browser_client: Client) -> None:
    response = browser_client.post("/", {"phone_number": PHONE})
    assert response.status_code == 403
    assert locmem.outbox == []


def test_invalid_phone_is_shown_inline(browser_client: Client) -> None:
    response = post(browser_client, "/", {"phone_number": "12"})
    assert response.status_code == 400
    assert "Enter a valid phone number." in response.content.decode()
    assert locmem.outbox == []


def test_code_page_without_a_phone_goes_back(browser_client: Client) -> None:
    assert browser_client.get("/code/")["Location"] == reverse("page-phone")


def test_whole_login_creates_the_user_and_a_session(browser_client: Client) -> None:
    response = post(browser_client, "/", {"phone_number": "8 (999) 123-45-67"})
    assert response.status_code == 302
    page = browser_client.get("/code/").content.decode()
    assert "+7 999 123-45-67" in page
    assert 'id="dev-hint"' not in page  # DEBUG is off: no terminal, no inbox
    sign_in_response = post(browser_client, "/code/", {"auth_code": last_code(PHONE)})
    assert sign_in_response["Location"] == reverse("page-profile")
    user = User.objects.get(phone_number=PHONE)
    profile = browser_client.get("/profile/").content.decode()
    assert user.invite_code in profile
    assert browser_client.get("/")["Location"] == reverse("page-profile")
    assert "login_phone" not in browser_client.session


def test_console_backend_in_debug_tells_where_the_code_is(
    browser_client: Client, settings: Any
) -> None:
    settings.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    settings.DEBUG = True
    post(browser_client, "/", {"phone_number": PHONE})
    page = browser_client.get("/code/").content.decode()
    assert 'id="dev-hint"' in page
    assert "terminal" in page


def test_wrong_code_says_so_with_attempts_left(browser_client: Client) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    wrong = "000000" if last_code(PHONE) != "000000" else "111111"
    response = post(browser_client, "/code/", {"auth_code": wrong})
    assert response.status_code == 400
    text = response.content.decode()
    assert "The code is wrong or has expired" in text
    assert "Attempts left: 4." in text
    malformed = post(browser_client, "/code/", {"auth_code": "12ab"})
    assert "The code is 6 digits." in malformed.content.decode()
    assert browser_client.get("/profile/")["Location"] == reverse("page-phone")


def test_send_again_keeps_the_cooldown(browser_client: Client) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    page = browser_client.get("/code/").content.decode()
    assert 'data-wait="60"' in page
    response = post(browser_client, "/code/resend/", {}, page="/code/")
    assert response.status_code == 429
    assert "Try again in" in response.content.decode()
    assert len(locmem.outbox) == 1


def test_same_number_again_goes_back_to_the_code_it_has(browser_client: Client) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    again = post(browser_client, "/", {"phone_number": "+7 999 123 45 67"})
    assert again["Location"] == reverse("page-code")
    assert len(locmem.outbox) == 1
    page = browser_client.get("/code/").content.decode()
    assert 'data-wait="0"' not in page
    response = post(browser_client, "/code/", {"auth_code": last_code(PHONE)})
    assert response["Location"] == reverse("page-profile")


def test_ip_limit_is_shown_on_the_phone_page(browser_client: Client, settings: Any) -> None:
    settings.AUTH_SEND_PER_IP_HOUR = 1
    post(browser_client, "/", {"phone_number": PHONE})
    response = post(browser_client, "/", {"phone_number": "+79990000009"})
    assert response.status_code == 429
    assert "Too many requests. Try again in 60 min." in response.content.decode()
    assert len(locmem.outbox) == 1


def test_send_again_sends_a_new_code_after_the_cooldown(browser_client: Client) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    limit_reset("send_cooldown", PHONE)  # as if the second had passed
    response = post(browser_client, "/code/resend/", {}, page="/code/")
    assert response["Location"] == reverse("page-code") + "?sent=1"
    assert len(locmem.outbox) == 2
    assert "A new code is on its way." in browser_client.get(response["Location"]).content.decode()


def test_sms_failure_is_shown_inline(browser_client: Client) -> None:
    locmem.fail_sends = True
    response = post(browser_client, "/", {"phone_number": PHONE})
    assert response.status_code == 503
    assert "The SMS could not be sent." in response.content.decode()


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


def test_logout_ends_the_session(signed_in: Client) -> None:
    response = post(signed_in, "/logout/", {}, page="/profile/")
    assert response["Location"] == reverse("page-phone")
    assert signed_in.get("/profile/")["Location"] == reverse("page-phone")


def test_logout_needs_post(signed_in: Client) -> None:
    assert signed_in.get("/logout/").status_code == 405


@pytest.mark.parametrize("url", ["/redoc/", "/swagger/"])
def test_api_docs_pages_name_nothing_external(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == []


@pytest.mark.parametrize("url", ["/redoc/", "/swagger/", "/", "/admin/login/"])
def test_every_page_keeps_its_scripts_from_loading_other_sites(client: Client, url: str) -> None:
    """The ReDoc bundle itself asks for a CDN logo; the site's policy refuses it."""
    policy = client.get(url)["Content-Security-Policy"]
    # Directives by name: django-csp writes them in no fixed order (it varies with the hash
    # seed), so "script-src 'self';" failed whenever script-src came last.
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["img-src"] == "'self' data:"
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def _sessions(client: Client) -> list[Any]:
    return list(client.get("/profile/").context["sessions"])


def test_the_profile_lists_the_sessions_with_this_device_marked(
    browser_client: Client, settings: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    other = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Other Phone/1.0")
    sign_in(other)
    sign_in(browser_client)
    response = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Where you are signed in" in html
    assert "Log out everywhere" in html
    assert html.count("Log out this one") == 2
    assert html.count('class="this-device"') == 1
    assert "Other Phone/1.0" in html
    assert "127.0.0.0/24" in html
    ours, theirs = _sessions(browser_client)  # newest first: this browser's
    assert ours.current
    assert not theirs.current


def test_log_out_one_other_session_from_the_page(browser_client: Client, settings: Any) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    other = Client(enforce_csrf_checks=True)
    sign_in(other)
    sign_in(browser_client)
    theirs = _sessions(browser_client)[1]
    url = reverse("page-session-end", args=[theirs.id])
    assert browser_client.post(url).status_code == 403  # no CSRF token: refused
    response = post(browser_client, url, {}, page="/profile/")
    assert response["Location"] == reverse("page-profile") + "#sessions"
    assert other.get("/profile/")["Location"] == reverse("page-phone")  # signed out there
    assert [s.current for s in _sessions(browser_client)] == [True]
    assert signed_in_still(browser_client)


def signed_in_still(client: Client) -> bool:
    return client.get("/profile/").status_code == 200


def test_log_out_this_one_from_the_page_signs_this_browser_out(signed_in: Client) -> None:
    ours = _sessions(signed_in)[0]
    url = reverse("page-session-end", args=[ours.id])
    response = post(signed_in, url, {}, page="/profile/")
    assert response["Location"] == reverse("page-phone")
    assert not signed_in_still(signed_in)


def test_log_out_everywhere_from_the_page(browser_client: Client, settings: Any) -> None:
    from users.models import LoginSession
    from users.tests.helpers import login as api_login

    settings.AUTH_CODE_RESEND_INTERVAL = 0
    tokens = api_login(APIClient(), PHONE)
    sign_in(browser_client)
    response = post(browser_client, reverse("page-logout-all"), {}, page="/profile/")
    assert response["Location"] == reverse("page-phone")
    assert not signed_in_still(browser_client)
    profile = APIClient().get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert profile.status_code == 401
    assert not LoginSession.objects.exists()


def test_log_out_everywhere_through_the_api_signs_the_browser_out(
    browser_client: Client, settings: Any
) -> None:
    from users.tests.helpers import login as api_login

    settings.AUTH_CODE_RESEND_INTERVAL = 0
    sign_in(browser_client)
    signed_in = browser_client
    tokens = api_login(APIClient(), PHONE)
    assert signed_in_still(signed_in)
    api = APIClient()
    api.post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert signed_in.get("/profile/")["Location"] == reverse("page-phone")


def test_the_page_logout_ends_its_session(signed_in: Client) -> None:
    from users.models import LoginSession

    assert LoginSession.objects.count() == 1
    post(signed_in, "/logout/", {}, page="/profile/")
    assert not LoginSession.objects.exists()
