"""The admin opens with a staff password only, and password guessing is limited."""

from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client, override_settings

from referral_system.admin import DEVICE_COOKIE
from users.models import User

from .helpers import last_code

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+79990000077"
PASSWORD = "a-long-password-123"


@pytest.fixture
def staff() -> User:
    return User.objects.create_superuser(phone_number=STAFF_PHONE, password=PASSWORD)


@pytest.fixture(autouse=True)
def _site_caps_out_of_the_way(settings) -> None:  # type: ignore[no-untyped-def]
    """The site-wide caps (5 a minute) are the tests' own business only where they set them."""
    settings.ADMIN_LOGIN_SITE_PER_MINUTE = settings.ADMIN_LOGIN_SITE_PER_HOUR = 1000


@pytest.fixture
def hashes(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The password hashes computed (the test settings' hasher): one per check of a password,
    of a real account or of none (Django hashes then too, so both take as long)."""
    done: list[str] = []
    encode, verify = MD5PasswordHasher.encode, MD5PasswordHasher.verify

    def counted_encode(self, password, salt):  # type: ignore[no-untyped-def]
        done.append("encode")
        return encode(self, password, salt)

    def counted_verify(self, password, encoded):  # type: ignore[no-untyped-def]
        done.append("verify")
        return verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(MD5PasswordHasher, "verify", counted_verify)
    return done


def page_login(client: Client, phone: str) -> None:
    client.post("/", {"phone_number": phone})
    client.post("/code/", {"auth_code": last_code(phone)})


def password_login(client: Client, password: str, phone: str = STAFF_PHONE):  # type: ignore[no-untyped-def]
    return client.post("/admin/login/?next=/admin/", {"username": phone, "password": password})


def test_an_sms_code_alone_never_opens_the_admin(staff) -> None:
    client = Client()
    page_login(client, STAFF_PHONE)
    assert client.get("/profile/").status_code == 200  # signed in on the pages
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/users/user/").status_code == 302
    # The password, asked again, opens it.
    assert password_login(client, PASSWORD)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR=3, ADMIN_LOGIN_PER_IP_HOUR=100)
def test_wrong_passwords_are_limited_per_account(staff) -> None:
    for _ in range(3):
        assert password_login(Client(), "wrong-password").status_code == 200  # form again
    refused = password_login(Client(), PASSWORD)  # the right one too, until the hour ends
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 3000
    assert "Too many attempts" in refused.content.decode()
    other = User.objects.create_superuser(phone_number="+79990000078", password=PASSWORD)
    assert password_login(Client(), PASSWORD, other.phone_number).status_code == 302


@override_settings(ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR=100, ADMIN_LOGIN_PER_IP_HOUR=4)
def test_password_attempts_are_limited_per_client(staff) -> None:
    client = Client()
    assert password_login(client, PASSWORD).status_code == 302  # counted, though right
    for n in range(3):
        assert password_login(Client(), "wrong", f"+7999000010{n}").status_code == 200
    assert password_login(Client(), PASSWORD).status_code == 429
    assert password_login(Client(REMOTE_ADDR="10.0.0.9"), PASSWORD).status_code == 302


def test_a_right_password_gives_its_failure_slot_back(staff) -> None:
    with override_settings(ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR=2):
        password_login(Client(), "wrong")
        for _ in range(5):
            assert password_login(Client(), PASSWORD).status_code == 302


@override_settings(ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR=3, ADMIN_LOGIN_PER_IP_HOUR=100)
def test_every_spelling_of_an_account_counts_against_the_same_failures(staff) -> None:
    # The login form strips spaces and folds Unicode (NFKC) before it looks the account up:
    # each of these tries the staff account's password, so each counts against it.
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in STAFF_PHONE)
    spellings = [f" {STAFF_PHONE}", f"{STAFF_PHONE}\t", full_width]
    for spelling in spellings:
        assert password_login(Client(), PASSWORD, spelling).status_code == 302  # it opens
    for spelling in spellings:
        assert password_login(Client(), "wrong-password", spelling).status_code == 200
    assert password_login(Client(), PASSWORD).status_code == 429


@override_settings(ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR=3, ADMIN_LOGIN_PER_IP_HOUR=100)
def test_a_signed_in_staff_member_guessing_another_account_gets_no_slot_back(staff) -> None:
    other = User.objects.create_superuser(phone_number="+79990000078", password=PASSWORD)
    insider = Client()
    assert password_login(insider, PASSWORD).status_code == 302  # signed in as staff
    for _ in range(3):
        password_login(insider, "wrong-password", other.phone_number)
    assert password_login(Client(), PASSWORD, other.phone_number).status_code == 429


def _activated(invited: User, inviter: User) -> None:
    from referrals.services import invite_code_activate

    assert invite_code_activate(user=invited, raw_code=inviter.invite_code, client_ip="192.0.2.1")


@pytest.fixture
def activation_between_read_and_save(monkeypatch):  # type: ignore[no-untyped-def]
    """``arrange(invited, inviter)``: the admin's next POST reads the user, then ``invited``
    activates ``inviter``'s code (committed), then the admin saves."""
    from users.admin import UserAdmin

    read = UserAdmin.get_object

    def arrange(invited: User, inviter: User) -> None:
        def read_then_activation_commits(self, request, object_id, from_field=None):  # type: ignore[no-untyped-def]
            found = read(self, request, object_id, from_field)
            if request.method == "POST":
                _activated(invited, inviter)
            return found

        monkeypatch.setattr(UserAdmin, "get_object", read_then_activation_commits)

    return arrange


def test_deleting_invited_users_in_the_admin_keeps_their_inviters_counts(staff, make_user) -> None:
    inviter, other = make_user(), make_user()
    invited = [make_user() for _ in range(4)]
    for person in invited[:3]:
        _activated(person, inviter)
    _activated(invited[3], other)
    client = Client()
    assert password_login(client, PASSWORD).status_code == 302
    # One from its change page, two (of different inviters) with the list's bulk action.
    page = f"/admin/users/user/{invited[0].pk}/delete/"
    assert client.post(page, {"post": "yes"}).status_code == 302
    bulk = {"action": "delete_selected", "post": "yes"}
    chosen = {"_selected_action": [invited[1].pk, invited[3].pk]}
    assert client.post("/admin/users/user/", {**bulk, **chosen}).status_code == 302
    assert not User.objects.filter(pk__in=[u.pk for u in invited[:2]] + [invited[3].pk]).exists()
    inviter.refresh_from_db()
    other.refresh_from_db()
    assert (inviter.referrals_count, other.referrals_count) == (1, 0)


def test_saving_a_user_in_the_admin_writes_only_what_the_form_changed(
    staff, make_user, activation_between_read_and_save
) -> None:
    person, inviter = make_user(), make_user()
    client = Client()
    assert password_login(client, PASSWORD).status_code == 302
    page = f"/admin/users/user/{person.pk}/change/"
    data = {
        "phone_number": person.phone_number,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }  # is_active unticked: the one change
    activation_between_read_and_save(person, inviter)
    response = client.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert not person.is_active
    assert person.invited_by_id == inviter.pk and person.invited_at is not None


def test_setting_a_password_in_the_admin_writes_only_the_password(
    staff, make_user, activation_between_read_and_save
) -> None:
    person, inviter = make_user(), make_user()
    client = Client()
    assert password_login(client, PASSWORD).status_code == 302
    activation_between_read_and_save(person, inviter)
    new_password = "another-long-password-456"
    form = {"password1": new_password, "password2": new_password, "usable_password": "true"}
    response = client.post(f"/admin/users/user/{person.pk}/password/", form)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(new_password)
    assert person.invited_by_id == inviter.pk and person.invited_at is not None


def test_a_phone_number_typed_in_the_admin_is_kept_in_e164(staff, make_user) -> None:
    person = make_user()
    client = Client()
    assert password_login(client, PASSWORD).status_code == 302
    page = f"/admin/users/user/{person.pk}/change/"
    form = {"is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    refused = client.post(page, {**form, "phone_number": "not a number"})
    assert refused.status_code == 200
    assert "phone_number" in refused.context["adminform"].form.errors
    saved = client.post(page, {**form, "phone_number": "8 916 555-00-99"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.phone_number == "+79165550099"


def _from(address: str, device_cookie: str | None = None) -> Client:
    client = Client(REMOTE_ADDR=address)
    if device_cookie is not None:
        client.cookies = SimpleCookie({DEVICE_COOKIE: device_cookie})
    return client


def _device_cookie_of(client: Client) -> str:
    return client.cookies[DEVICE_COOKIE].value


@override_settings(
    ADMIN_LOGIN_SITE_PER_MINUTE=3,
    ADMIN_LOGIN_SITE_PER_HOUR=1000,
    ADMIN_LOGIN_PER_NETWORK_HOUR=1000,
)
def test_password_checks_are_capped_for_the_whole_site_before_any_hash(staff, hashes) -> None:
    # Logins to random accounts, each from a network of its own: only the site-wide cap holds.
    statuses = []
    for n in range(6):
        before = len(hashes)
        response = password_login(_from(f"2001:db8:{n:x}::1"), "wrong", f"+7999555000{n}")
        statuses.append(response.status_code)
        assert len(hashes) == before + (response.status_code == 200)
    assert statuses == [200, 200, 200, 429, 429, 429]
    assert len(hashes) == 3
    with override_settings(ADMIN_LOGIN_SITE_PER_MINUTE=1000, ADMIN_LOGIN_SITE_PER_HOUR=4):
        assert password_login(_from("198.51.100.1"), "wrong", "+79995550009").status_code == 200
        refused = password_login(_from("198.51.100.2"), PASSWORD)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 3000
    assert len(hashes) == 4


@override_settings(ADMIN_LOGIN_PER_NETWORK_HOUR=3, ADMIN_LOGIN_PER_IP_HOUR=100)
def test_password_checks_are_capped_per_ipv6_48_not_only_per_64(staff, hashes) -> None:
    # Each attempt from a new /64 of one /48: a new client each time, one network.
    statuses = [
        password_login(_from(f"2001:db8:aa:{n:x}::1"), "wrong", f"+7999555100{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(hashes) == 3
    assert password_login(_from("2001:db8:bb::1"), PASSWORD).status_code == 302  # another /48
    assert password_login(_from("203.0.113.1"), "wrong", "+79995551009").status_code == 200


def test_a_sign_in_leaves_a_signed_httponly_secure_device_cookie_for_the_admin_only(staff) -> None:
    client = _from("192.0.2.10")
    signed_in = password_login(client, PASSWORD)
    assert signed_in.status_code == 302
    cookie = signed_in.cookies[DEVICE_COOKIE]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/admin/"
    assert int(cookie["max-age"]) == 90 * 24 * 3600
    again = password_login(client, PASSWORD)
    assert again.cookies[DEVICE_COOKIE].value != cookie.value  # a new device id each time
    assert DEVICE_COOKIE not in password_login(_from("192.0.2.11"), "wrong").cookies


def test_failures_from_elsewhere_never_lock_the_owner_out_of_a_known_browser(staff) -> None:
    owners_browser = _from("192.0.2.20")
    assert password_login(owners_browser, PASSWORD).status_code == 302
    device = _device_cookie_of(owners_browser)
    # 10 wrong passwords from 10 addresses: untrusted browsers are locked out of the account.
    for n in range(10):
        assert password_login(_from(f"198.51.100.{n + 1}"), "wrong").status_code == 200
    assert password_login(_from("203.0.113.5"), PASSWORD).status_code == 429
    # The owner's browser, from a new address (a train's Wi-Fi), signs in.
    assert password_login(_from("203.0.113.6", device), PASSWORD).status_code == 302
    assert password_login(owners_browser, PASSWORD).status_code == 302


def test_a_device_cookie_has_its_own_small_failure_allowance_then_counts_as_untrusted(
    staff,
) -> None:
    owners_browser = _from("192.0.2.30")
    assert password_login(owners_browser, PASSWORD).status_code == 302
    stolen = _device_cookie_of(owners_browser)
    # A thief with the cookie: 5 failures on its own allowance ...
    for _ in range(5):
        assert password_login(_from("198.51.100.50", stolen), "wrong").status_code == 200
    # ... then it is one more untrusted browser: 10 more, and untrusted browsers are refused.
    for _ in range(10):
        assert password_login(_from("198.51.100.50", stolen), "wrong").status_code == 200
    assert password_login(_from("198.51.100.50", stolen), PASSWORD).status_code == 429
    assert password_login(_from("198.51.100.51"), PASSWORD).status_code == 429
    # The owner signed in again since (a new cookie, a new allowance) is not held back.
    assert password_login(_from("192.0.2.31", _device_cookie_of(owners_browser)), PASSWORD)


def test_a_device_cookie_vouches_only_for_its_own_account_and_only_when_signed(staff) -> None:
    other = User.objects.create_superuser(phone_number="+79990000078", password=PASSWORD)
    browser = _from("192.0.2.40")
    assert password_login(browser, PASSWORD, other.phone_number).status_code == 302
    others_device = _device_cookie_of(browser)
    forged = others_device.replace(other.phone_number[-4:], STAFF_PHONE[-4:])
    for n in range(10):
        assert password_login(_from(f"198.51.100.{n + 60}"), "wrong").status_code == 200
    for cookie in (others_device, forged, others_device[:-2] + "xx"):
        assert password_login(_from("203.0.113.7", cookie), PASSWORD).status_code == 429


def test_one_untrusted_password_check_at_a_time_in_a_process(staff, hashes) -> None:
    from referral_system.admin import _UNTRUSTED_CHECK

    owners_browser = _from("192.0.2.50")
    assert password_login(owners_browser, PASSWORD).status_code == 302
    with _UNTRUSTED_CHECK:  # another thread of this worker is hashing a stranger's password
        before = len(hashes)
        busy = password_login(_from("198.51.100.70"), PASSWORD)
        assert busy.status_code == 429
        assert busy["Retry-After"] == "1"
        assert len(hashes) == before
        # A known browser does not wait for strangers.
        assert password_login(owners_browser, PASSWORD).status_code == 302
    assert password_login(_from("198.51.100.70"), PASSWORD).status_code == 302
