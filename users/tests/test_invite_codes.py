import re

import pytest
from django.core.management import call_command

from core.errors import ServiceUnavailable
from users.invite_codes import ALPHABET, invite_code_generate, invite_code_normalize
from users.models import User

CANONICAL = re.compile(r"^[0-9A-HJKMNP-TV-Z]{6}$")


def test_codes_are_six_crockford_characters() -> None:
    codes = {invite_code_generate() for _ in range(2000)}
    assert all(CANONICAL.match(c) for c in codes)
    assert len(codes) > 1990  # drawn at random, not a sequence
    assert set("".join(codes)) == set(ALPHABET)
    assert not set("ILOU") & set("".join(codes))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc-12o", "ABC120"),
        ("ABC120", "ABC120"),
        (" a b c 1 2 0 ", "ABC120"),
        ("il0o-zz", "1100ZZ"),
        ("Lio-xyz", "110XYZ"),
        ("abc12", None),
        ("abc1234", None),
        ("ABCU12", None),  # U is not in the alphabet
        ("ABC12\n", None),
        ("ＡＢＣ１２０", None),
        ("ABC_12", None),
        (123456, None),
        (None, None),
        ("A" * 1000, None),
    ],
)
def test_input_is_read_forgivingly(raw: object, expected: str | None) -> None:
    assert invite_code_normalize(raw) == expected


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser(phone_number="+79990000099", password="x"))
    return client


@pytest.mark.django_db
def test_every_way_of_creating_a_user_gives_a_code(admin_client, monkeypatch) -> None:
    via_manager = User.objects.create_user(phone_number="+79990000001")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-123")
    call_command("createsuperuser", phone_number="+79990000002", interactive=False, verbosity=0)
    via_command = User.objects.get(phone_number="+79990000002")
    response = admin_client.post(
        "/admin/users/user/add/",
        {"phone_number": "8 999 000-00-03", "usable_password": "false"},
    )
    assert response.status_code == 302, response.content[:2000]
    via_admin = User.objects.get(phone_number="+79990000003")
    [via_bulk] = User.objects.bulk_create([User(phone_number="+79990000004")])
    for user in (via_manager, via_command, via_admin, via_bulk):
        assert CANONICAL.match(user.invite_code)
    assert via_command.is_superuser
    assert via_command.check_password("a-long-password-123")


@pytest.mark.django_db
def test_a_colliding_code_is_drawn_again() -> None:
    taken = User.objects.create_user(phone_number="+79990000001").invite_code
    user = User.objects.insert(User(phone_number="+79990000002", invite_code=taken))
    assert user.pk is not None
    assert user.invite_code != taken
    assert User.objects.filter(invite_code=taken).count() == 1


@pytest.mark.django_db
def test_retries_are_bounded(monkeypatch) -> None:
    taken = User.objects.create_user(phone_number="+79990000001").invite_code
    monkeypatch.setattr("users.managers.invite_code_generate", lambda: taken)
    with pytest.raises(ServiceUnavailable):
        User.objects.insert(User(phone_number="+79990000002", invite_code=taken))
    assert not User.objects.filter(phone_number="+79990000002").exists()


@pytest.mark.django_db
def test_superuser_signs_in_to_the_admin_with_phone_and_password(client) -> None:
    User.objects.create_superuser(phone_number="+79990000009", password="a-long-password-123")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "+79990000009", "password": "a-long-password-123"},
    )
    assert response.status_code == 302
    page = client.get("/admin/users/user/?q=%2B7999000000")
    assert page.status_code == 200
    assert b"+79990000009" in page.content
