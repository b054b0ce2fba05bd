"""The sign-in pages (phone, code, log-out, sessions) through Django's test client, CSRF
checks on: same services, same rules."""

from typing import Any

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.tests.helpers import limit_reset
from users.models import LoginSession, User
from users.sms import locmem

from .helpers import PHONE, last_code, post, sign_in
from .helpers import login as api_login
from .helpers import wrong as wrong_code


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
    assert "Other Phone/1.0" in html  # a User-Agent no parser knows is shown as it is
    assert "Network: 127.0.0.0/24" in html
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


def test_log_out_everywhere_asks_first(signed_in: Client) -> None:
    profile = signed_in.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("page-logout-all")}" id="logout-all"' in profile
    page = signed_in.get(reverse("page-logout-all"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Every session of your account ends, on every device, this one too." in html
    assert 'id="confirm-logout-all"' in html
    assert f'href="{reverse("page-profile")}#sessions"' in html  # cancel
    assert LoginSession.objects.count() == 1  # asking ended nothing
    assert signed_in_still(signed_in)
    ru = signed_in.get(reverse("page-logout-all"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Выйти на всех устройствах?" in ru


def test_a_browser_signed_out_elsewhere_is_told_why_once(
    browser_client: Client, settings: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    sign_in(browser_client)
    tokens = api_login(APIClient(), PHONE)
    APIClient().post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(reverse("page-phone"), 302)]
    said = "You were signed out: this session was ended on another device, or it expired."
    assert response.content.decode().count(said) == 1
    assert said not in browser_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ru = Client()
    sign_in(ru)
    LoginSession.objects.all().delete()
    page = ru.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Вы вышли из системы: этот сеанс завершили на другом устройстве, или он истёк." in page


def test_a_logout_of_ones_own_says_nothing(signed_in: Client) -> None:
    post(signed_in, "/logout/", {}, page="/profile/")
    assert (
        "You were signed out" not in signed_in.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_a_second_browser_within_the_cooldown_can_enter_the_code_sent(
    browser_client: Client,
) -> None:
    first = Client(enforce_csrf_checks=True)
    post(first, "/", {"phone_number": PHONE})
    refused = post(browser_client, "/", {"phone_number": "8 999 123-45-67"})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "A code was sent recently." in html
    assert 'id="code-offer"' in html
    assert "+7 999 123-45-67" in html
    response = post(browser_client, reverse("page-code-enter"), {}, page="/")
    assert response["Location"] == reverse("page-code")
    code_page = browser_client.get("/code/").content.decode()
    assert "+7 999 123-45-67" in code_page
    assert 'data-wait="0"' not in code_page  # "send again" still waits for the cooldown
    signed = post(browser_client, "/code/", {"auth_code": last_code(PHONE)})
    assert signed["Location"] == reverse("page-profile")
    assert len(locmem.outbox) == 1  # no second SMS


def test_the_code_entry_is_offered_only_for_the_cooldown(
    browser_client: Client, settings: Any
) -> None:
    assert post(browser_client, reverse("page-code-enter"), {}, page="/")["Location"] == "/"
    settings.AUTH_SEND_PER_IP_HOUR = 1
    post(Client(enforce_csrf_checks=True), "/", {"phone_number": "+79990000009"})
    refused = post(browser_client, "/", {"phone_number": PHONE})
    assert refused.status_code == 429
    assert 'id="code-offer"' not in refused.content.decode()
    assert post(browser_client, reverse("page-code-enter"), {}, page="/")["Location"] == "/"


def test_favicon_is_served_and_named_by_every_page(browser_client: Client) -> None:
    response = browser_client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.ico")
    assert finders.find("favicon.ico") is not None
    assert f'rel="icon" href="{static("favicon.ico")}"' in browser_client.get("/").content.decode()


NEW_PHONE = "+79990000055"
NEW_PHONE_SHOWN = "+7 999 000-00-55"


def test_change_number_in_two_steps(browser_client: Client, settings: Any) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    elsewhere = Client(enforce_csrf_checks=True)
    sign_in(elsewhere)
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    page = browser_client.get(reverse("page-phone-change"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Every other session of your account ends; you stay signed in here." in (
        page.content.decode()
    )
    step1 = post(browser_client, reverse("page-phone-change"), {"phone_number": "8 999 000 00 55"})
    assert step1["Location"] == reverse("page-phone-change-confirm")
    assert locmem.outbox[-1].phone == NEW_PHONE
    assert "Your code to confirm this number" in locmem.outbox[-1].text
    step2 = browser_client.get(reverse("page-phone-change-confirm"), HTTP_ACCEPT_LANGUAGE="en")
    assert NEW_PHONE_SHOWN in step2.content.decode()
    wrong = post(browser_client, reverse("page-phone-change-confirm"), {"auth_code": "12ab"})
    assert wrong.status_code == 400
    assert "The code is 6 digits." in wrong.content.decode()
    done = post(
        browser_client, reverse("page-phone-change-confirm"), {"auth_code": last_code(NEW_PHONE)}
    )
    assert done["Location"] == reverse("page-profile")
    me.refresh_from_db()
    assert me.phone_number == NEW_PHONE
    profile = browser_client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Your number is now {NEW_PHONE_SHOWN}." in profile
    assert f'id="my-phone">{NEW_PHONE_SHOWN}' in profile
    assert LoginSession.objects.filter(user=me).count() == 1  # this browser's only
    assert elsewhere.get("/profile/")["Location"] == reverse("page-phone")
    assert browser_client.get(reverse("page-phone-change-confirm"))["Location"] == reverse(
        "page-phone-change"
    )


def test_change_number_errors_in_words(signed_in: Client, make_user: Any) -> None:
    url = reverse("page-phone-change")
    same = post(signed_in, url, {"phone_number": PHONE})
    assert same.status_code == 400
    assert "This is already your number." in same.content.decode()
    bad = post(signed_in, url, {"phone_number": "12"})
    assert bad.status_code == 400
    assert "Enter a valid phone number." in bad.content.decode()
    ru = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ru")
    sign_in(ru, "+79990000066")
    assert "Это уже ваш номер." in post(ru, url, {"phone_number": "+79990000066"}).content.decode()
    taken = make_user(NEW_PHONE)
    post(signed_in, url, {"phone_number": NEW_PHONE})
    confirm = reverse("page-phone-change-confirm")
    wrong = post(signed_in, confirm, {"auth_code": wrong_code(last_code(NEW_PHONE))})
    assert wrong.status_code == 400
    assert "Attempts left: 4." in wrong.content.decode()
    refused = post(signed_in, confirm, {"auth_code": last_code(NEW_PHONE)})
    assert refused.status_code == 409
    assert "This number belongs to another account." in refused.content.decode()
    assert User.objects.get(pk=taken.pk).phone_number == NEW_PHONE


def test_change_number_keeps_the_send_limits(signed_in: Client) -> None:
    url = reverse("page-phone-change")
    post(signed_in, url, {"phone_number": NEW_PHONE})
    again = post(signed_in, url, {"phone_number": NEW_PHONE})  # its code still works
    assert again["Location"] == reverse("page-phone-change-confirm")
    assert 'data-wait="0"' not in signed_in.get(again["Location"]).content.decode()
    resend = post(signed_in, reverse("page-phone-change-resend"), {}, page=again["Location"])
    assert resend.status_code == 429
    assert "A code was sent recently. Wait before asking again. Try again in" in (
        resend.content.decode()
    )
    other = post(signed_in, url, {"phone_number": "+79990000056"})
    assert other["Location"] == reverse("page-phone-change-confirm")  # another number: sent
    limit_reset("send_cooldown", "+79990000056")
    resend = post(signed_in, reverse("page-phone-change-resend"), {}, page=again["Location"])
    assert resend["Location"] == reverse("page-phone-change-confirm") + "?sent=1"
    assert len(locmem.outbox) == 4  # sign-in, two numbers, one resend


def test_change_number_in_development_says_where_the_code_is(
    signed_in: Client, settings: Any
) -> None:
    settings.DEBUG = True
    settings.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    post(signed_in, reverse("page-phone-change"), {"phone_number": NEW_PHONE})
    page = signed_in.get(reverse("page-phone-change-confirm")).content.decode()
    assert 'id="dev-hint"' in page
    assert 'id="dev-inbox-link"' in page


def test_account_pages_need_a_signed_in_browser(browser_client: Client) -> None:
    for name in ("page-phone-change", "page-phone-change-confirm", "page-account-delete"):
        assert browser_client.get(reverse(name))["Location"] == reverse("page-phone")


def test_delete_account_with_a_code_to_its_own_number(
    browser_client: Client, settings: Any, make_user: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    invited = make_user("+79990000077")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    url = reverse("page-account-delete")
    page = browser_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for said in (
        "is erased from the service",
        "Every session ends, on every device, this one too.",
        "The people you invited keep their accounts",
    ):
        assert said in page
    assert 'id="code"' not in page  # no code asked for yet
    sent = post(browser_client, reverse("page-account-delete-send"), {}, page=url)
    assert sent["Location"] == url + "?sent=1"
    assert locmem.outbox[-1].phone == PHONE
    page = browser_client.get(sent["Location"]).content.decode()
    assert 'id="code"' in page
    wrong = post(browser_client, url, {"auth_code": wrong_code(last_code(PHONE))})
    assert wrong.status_code == 400
    assert "Attempts left: 4." in wrong.content.decode()
    assert User.objects.filter(pk=me.pk).exists()
    done = post(browser_client, url, {"auth_code": last_code(PHONE)})
    assert done["Location"] == reverse("page-phone")
    assert not User.objects.filter(pk=me.pk).exists()
    assert User.objects.filter(pk=invited.pk).exists()
    landing = browser_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your account is deleted." in landing
    assert "You were signed out" not in landing
    assert browser_client.get("/profile/")["Location"] == reverse("page-phone")


def test_delete_right_after_signing_in_waits_for_the_cooldown(signed_in: Client) -> None:
    url = reverse("page-account-delete")
    refused = post(signed_in, reverse("page-account-delete-send"), {}, page=url)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "A code was sent recently. Wait before asking again. Try again in" in html
    assert 'id="resend" data-wait="60" disabled' in html or 'data-wait="59"' in html
    assert 'id="code"' not in html  # the sign-in's code is spent: nothing to enter yet
    ru = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Удалить учётную запись" in ru
    assert "Приглашённые вами люди сохраняют свои учётные записи" in ru


def test_a_deleted_accounts_other_browser_is_told_once(
    browser_client: Client, settings: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    other = Client(enforce_csrf_checks=True)
    sign_in(other)
    sign_in(browser_client)
    post(browser_client, reverse("page-account-delete-send"), {}, page="/profile/delete/")
    post(browser_client, "/profile/delete/", {"auth_code": last_code(PHONE)})
    response = other.get("/profile/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "You were signed out" in response.content.decode()
    assert "You were signed out" not in other.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_test_number_in_development_names_its_code_and_has_no_cooldown(
    browser_client: Client, settings: Any
) -> None:
    settings.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    settings.DEBUG = True
    settings.TEST_PHONE_NUMBERS = {"+79000000000": "000000"}
    post(browser_client, "/", {"phone_number": "+7 900 000-00-00"})
    page = browser_client.get("/code/").content.decode()
    assert 'id="test-code">000000<' in page
    assert "terminal" not in page  # nothing is printed for it
    assert 'data-wait="0"' in page  # nothing was sent: nothing to wait for
    assert post(browser_client, "/code/resend/", {}, page="/code/").status_code == 302
    assert post(browser_client, "/code/", {"auth_code": "000000"}).status_code == 302


def test_a_code_killed_by_wrong_guesses_says_so_and_opens_send_again(
    browser_client: Client,
) -> None:
    post(browser_client, "/", {"phone_number": PHONE})
    code = last_code(PHONE)
    for _ in range(5):
        assert post(browser_client, "/code/", {"auth_code": wrong_code(code)}).status_code == 400
    dead = post(browser_client, "/code/", {"auth_code": code})
    assert dead.status_code == 400
    text = dead.content.decode()
    assert "Request a new code" in text
    assert 'data-wait="0"' in text  # send again at once
    assert post(browser_client, "/code/resend/", {}, page="/code/").status_code == 302
    assert post(browser_client, "/code/", {"auth_code": last_code(PHONE)}).status_code == 302
