"""The operator's view of SMS by destination prefix in the admin: the last day, and resuming a
paused prefix."""

import pytest
from django.test import Client, override_settings

from users.models import User

from .helpers import send

pytestmark = pytest.mark.django_db

PASSWORDS = "django.contrib.auth.backends.ModelBackend"
VIEW = "/admin/sms/prefixes/"
GUARD = override_settings(
    SMS_PUMPING_GUARD=True, SMS_PUMPING_MIN_SENDS=3, TRUSTED_PROXIES=["127.0.0.1/32"]
)


@pytest.fixture
def staff() -> Client:
    client = Client()
    user = User.objects.create_user(phone_number="+79990000077", password="x", is_staff=True)
    client.force_login(user, backend=PASSWORDS)
    return client


def row(page: str, prefix: str) -> str:
    start = page.index(f'data-prefix="{prefix}"')
    return page[start : page.index("</tr>", start)]


@GUARD
def test_the_last_day_per_prefix_and_resuming_a_paused_one(api, outbox, staff) -> None:
    for n in range(4):  # three sent, none verified: the fourth is refused
        send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR=f"10.0.{n}.1")
    send(api, "+79161234567", HTTP_X_FORWARDED_FOR="10.1.0.1")
    page = staff.get(VIEW).content.decode()
    assert "The pumping guard is on" in page
    pumped = row(page, "+7999")
    for cell in ('class="sent">3<', 'class="verified">0<', 'class="ratio">0 %<', "60 min more"):
        assert cell in pumped
    assert 'name="prefix" value="+7999"' in pumped
    other = row(page, "+7916")
    assert 'class="sent">1<' in other and 'class="state">no<' in other
    assert "Resume" not in other

    response = staff.post(VIEW, {"prefix": "+7999"}, follow=True)
    assert "Codes to new numbers of +7999 are sent again." in response.content.decode()
    assert 'class="state">no<' in row(response.content.decode(), "+7999")
    assert send(api, "+79990000005", HTTP_X_FORWARDED_FOR="10.0.9.1").status_code == 200


@GUARD
def test_a_resume_of_something_that_is_no_prefix_changes_nothing(api, outbox, staff) -> None:
    for n in range(4):
        send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR=f"10.0.{n}.1")
    for junk in ("+79", "7999x", "", "+79990"):
        assert staff.post(VIEW, {"prefix": junk}).status_code == 302
    assert send(api, "+79990000005", HTTP_X_FORWARDED_FOR="10.0.9.1").status_code == 503


def test_the_index_links_to_it_and_says_when_the_guard_is_off(staff) -> None:
    index = staff.get("/admin/").content.decode()
    assert f'href="{VIEW}"' in index and "Destination prefixes" in index
    page = staff.get(VIEW).content.decode()
    assert "The pumping guard is off" in page
    assert "No codes were sent in the last 24 hours." in page


def test_only_staff_signed_in_with_a_password_open_it(make_user) -> None:
    assert Client().get(VIEW).status_code == 302
    client = Client()
    client.force_login(make_user(), backend=PASSWORDS)
    assert client.get(VIEW).status_code == 302
    staff_by_sms = Client()
    user = User.objects.create_user(phone_number="+79990000079", is_staff=True)
    staff_by_sms.force_login(user, backend="users.backends.SmsCodeBackend")
    assert staff_by_sms.get(VIEW).status_code == 302
