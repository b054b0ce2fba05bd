"""The sign-in pages (phone, code, log-out, sessions) through Django's test client, CSRF
checks on: same services, same rules."""

from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.tests.helpers import limit_reset
from users.models import LoginSession, User
from users.sms import locmem

from .helpers import PHONE, last_code, post, sign_in
from .helpers import login as api_login


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


def test_logout_ends_the_session(signed_in: Client) -> None:
    response = post(signed_in, "/logout/", {}, page="/profile/")
    assert response["Location"] == reverse("page-phone")
    assert signed_in.get("/profile/")["Location"] == reverse("page-phone")


def test_logout_needs_post(signed_in: Client) -> None:
    assert signed_in.get("/logout/").status_code == 405


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
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    sign_in(browser_client)
    signed_in = browser_client
    tokens = api_login(APIClient(), PHONE)
    assert signed_in_still(signed_in)
    api = APIClient()
    api.post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert signed_in.get("/profile/")["Location"] == reverse("page-phone")


def test_the_page_logout_ends_its_session(signed_in: Client) -> None:
    assert LoginSession.objects.count() == 1
    post(signed_in, "/logout/", {}, page="/profile/")
    assert not LoginSession.objects.exists()
