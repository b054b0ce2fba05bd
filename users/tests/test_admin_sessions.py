"""The admin's password sign-ins: any spelling of the number, and a login session like a code's,
so log-out-everywhere, a number change and a deletion end them too."""

import pytest
from django.test import Client

from users.models import LoginSession, User
from users.services import user_phone_set
from users.tests.helpers import auth_client

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+79990000079"
PASSWORD = "a-long-password-456"


@pytest.fixture(autouse=True)
def _site_caps_out_of_the_way(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ADMIN_LOGIN_SITE_PER_MINUTE = 1000
    settings.ADMIN_LOGIN_SITE_PER_HOUR = 1000


@pytest.fixture
def staff() -> User:
    return User.objects.create_superuser(phone_number="+7 999 000-00-79", password=PASSWORD)


def admin_login(phone: str = STAFF_PHONE) -> Client:
    client = Client()
    signed_in = client.post("/admin/login/?next=/admin/", {"username": phone, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:500]
    assert client.get("/admin/").status_code == 200
    return client


def signed_out(client: Client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("spelling", ["+7 999 000-00-79", "8 (999) 000-00-79", "+79990000079"])
def test_the_admin_takes_the_number_as_createsuperuser_does(staff, spelling) -> None:
    assert staff.phone_number == STAFF_PHONE
    admin_login(spelling)


def test_log_out_everywhere_ends_the_admin_too(staff) -> None:
    browser = admin_login()
    assert LoginSession.objects.filter(user=staff).count() == 1  # listed with the others
    assert auth_client(staff).post("/api/auth/logout-all/").status_code == 204
    assert signed_out(browser)


def test_a_number_change_ends_the_admin_sessions_of_the_account(staff) -> None:
    browser = admin_login()
    user_phone_set(user_id=staff.pk, phone="+79990000080")
    assert signed_out(browser)
