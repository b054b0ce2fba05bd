"""The profile page's activation form, referral list, sessions and data download through
Django's test client, CSRF checks on: same services, same rules as the API."""

import json
from typing import Any

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from users.models import User
from users.phone import phone_display
from users.tests.helpers import PHONE, make_user, post, sign_in
from users.tests.helpers import login as api_login

ACTIVATION = reverse("page-profile") + "#activation"


def activate(client: Client, code: str) -> Any:
    """Submit the profile's activation form; it always answers with a redirect to the profile."""
    response = post(client, "/profile/invite/", {"invite_code": code}, page="/profile/")
    assert response.status_code == 302, code
    return response


def test_activation_success_and_errors(signed_in: Client) -> None:
    me = User.objects.get(phone_number=PHONE)
    inviter = make_user("+79990000002")
    other = make_user("+79990000003")
    cases = [
        ("??", "An invite code is 6 letters and digits."),
        (me.invite_code, "You cannot activate your own invite code."),
        ("ZZZZZZ" if inviter.invite_code != "ZZZZZZ" else "YYYYYY", "no such invite code"),
    ]
    for code, message in cases:
        assert activate(signed_in, code)["Location"] == ACTIVATION
        page = signed_in.get("/profile/").content.decode()
        assert message in page
        assert f'value="{code}"' in page  # what was typed, to correct it
    assert activate(signed_in, inviter.invite_code.lower())["Location"] == reverse("page-profile")
    page = signed_in.get("/profile/").content.decode()
    assert "The invite code is activated." in page
    assert 'id="activated-code">' + inviter.invite_code in page
    activate(signed_in, other.invite_code)
    assert (
        "You have already activated an invite code." in signed_in.get("/profile/").content.decode()
    )


def test_a_failed_activation_redirects_so_a_reload_posts_nothing(signed_in: Client) -> None:
    assert activate(signed_in, "??")["Location"] == ACTIVATION
    first = signed_in.get("/profile/").content.decode()
    assert 'id="invite-error"' in first
    reloaded = signed_in.get("/profile/").content.decode()  # the error was said once
    assert 'id="invite-error"' not in reloaded
    assert 'value=""' in reloaded


def test_cycle_is_refused(signed_in: Client) -> None:
    me = User.objects.get(phone_number=PHONE)
    invited = make_user("+79990000004")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    activate(signed_in, invited.invite_code)
    assert "someone you invited" in signed_in.get("/profile/").content.decode()


def test_too_many_failed_activations(signed_in: Client, settings: Any) -> None:
    settings.INVITE_FAILURES_PER_USER_HOUR = 1
    activate(signed_in, "ZZZZZ1")
    activate(signed_in, "ZZZZZ1")
    assert "Too many requests" in signed_in.get("/profile/").content.decode()


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


def _document(response: Any) -> dict[str, Any]:
    return json.loads(b"".join(response.streaming_content))  # type: ignore[no-any-return]


def test_download_my_data_is_the_apis_document(browser_client: Client, settings: Any) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer " + api_login(APIClient(), PHONE)["access"])
    sign_in(browser_client)
    me = User.objects.get(phone_number=PHONE)
    referral = make_user("+79990000201")
    User.objects.filter(pk=referral.pk).update(invited_by=me, invited_at=referral.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=1)
    profile = browser_client.get("/profile/").content.decode()
    assert f'href="{reverse("page-export")}" id="export"' in profile
    response = browser_client.get(reverse("page-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    name = f"referral-account-{me.invite_code}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert "no-store" in response["Cache-Control"]
    page, through_api = _document(response), _document(api.get("/api/profile/export/"))
    for document in (page, through_api):
        del document["exported_at"]
    current = {s["id"]: s.pop("current") for s in page["sessions"]}
    current_in_api = {s["id"]: s.pop("current") for s in through_api["sessions"]}
    assert page == through_api
    assert page["referrals"][0]["phone_number"] == "+79990000201"
    (ours,) = [id for id, mark in current.items() if mark]  # this browser's session
    (theirs,) = [id for id, mark in current_in_api.items() if mark]
    assert ours != theirs


def test_download_my_data_is_limited_as_the_apis(signed_in: Client, settings: Any) -> None:
    settings.EXPORT_PER_USER_HOUR = 1
    assert signed_in.get(reverse("page-export")).status_code == 200
    refused = signed_in.get(reverse("page-export"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "You have downloaded your data too many times this hour. Try again in" in html
    assert f'href="{reverse("page-profile")}"' in html
    ru = signed_in.get(reverse("page-export"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Вы слишком часто скачивали свои данные за этот час." in ru


def test_download_my_data_needs_a_signed_in_browser(browser_client: Client) -> None:
    assert browser_client.get(reverse("page-export"))["Location"] == reverse("page-phone")


def test_the_profile_links_the_account_pages(signed_in: Client) -> None:
    html = signed_in.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name, anchor in (
        ("page-phone-change", "change-phone"),
        ("page-export", "export"),
        ("page-account-delete", "delete-account"),
    ):
        assert f'href="{reverse(name)}" id="{anchor}"' in html
    ru = signed_in.get("/profile/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for said in ("Сменить номер", "Скачать мои данные", "Удалить учётную запись"):
        assert said in ru


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def test_sessions_show_a_readable_device_name(db: None) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=ANDROID_CHROME)
    sign_in(client)
    html = client.get("/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="device" title="Mozilla/5.0 (Linux; Android 14;' in html
    assert ">Chrome on Android</span>" in html
    ru = client.get("/profile/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ">Chrome на Android</span>" in ru
