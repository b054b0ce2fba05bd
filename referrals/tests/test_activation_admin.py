"""Activations in the admin: staff see each with its signals, filter them, and undo one."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from referrals.models import Activation
from referrals.services import invite_code_activate
from users.models import User
from users.sessions import session_start

pytestmark = pytest.mark.django_db

PASSWORDS = "django.contrib.auth.backends.ModelBackend"
LIST = "/admin/referrals/activation/"


def staff_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=PASSWORDS)  # the admin opens to a password login only
    return client


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(phone_number="+79990000077", password="a-long-pass-123")


@pytest.fixture
def activations(make_user):  # type: ignore[no-untyped-def]
    """An inviter with two invitees: one ordinary, one a minutes-old account activating from
    the inviter's network (a strong signal)."""
    inviter = make_user("+79990001000")
    session_start(user_id=inviter.pk, user_agent="t", client_ip="5.5.5.5", lifetime=timedelta(1))
    plain, fresh = make_user("+79161111111"), make_user("+79262222222")
    User.objects.filter(pk=plain.pk).update(date_joined=plain.date_joined - timedelta(days=1))
    plain.refresh_from_db()
    assert invite_code_activate(user=plain, raw_code=inviter.invite_code, client_ip="6.6.6.6")
    assert invite_code_activate(user=fresh, raw_code=inviter.invite_code, client_ip="5.5.5.9")
    return inviter, plain, fresh


def test_staff_see_activations_with_their_signals_and_filter_them(superuser, activations) -> None:
    _inviter, plain, fresh = activations
    client = staff_client(superuser)
    page = client.get(LIST).content.decode()
    assert plain.phone_number in page and fresh.phone_number in page
    strong = client.get(LIST, {"strong__exact": "1"}).content.decode()
    assert fresh.phone_number in strong and plain.phone_number not in strong
    weak = client.get(LIST, {"from_inviter_network__exact": "0"}).content.decode()
    assert plain.phone_number in weak and fresh.phone_number not in weak
    assert client.get(LIST, {"burst": "yes"}).context["cl"].result_count == 0
    assert client.get(LIST, {"close": "no"}).context["cl"].result_count == 2
    assert client.get(LIST, {"state": "in_force"}).context["cl"].result_count == 2
    record = Activation.objects.get(invitee=fresh)
    detail = client.get(f"{LIST}{record.pk}/change/")
    assert detail.status_code == 200  # a view, not a form
    assert b'name="strong"' not in detail.content
    assert client.get(f"{LIST}add/").status_code == 403


def test_the_undo_action_undoes_and_the_inviter_s_count_follows(superuser, activations) -> None:
    inviter, _plain, fresh = activations
    client = staff_client(superuser)
    records = list(Activation.objects.order_by("pk").values_list("pk", flat=True))
    response = client.post(
        LIST, {"action": "undo", "_selected_action": [records[1]], "index": 0}, follow=True
    )
    assert "1 activation undone" in response.content.decode()
    fresh.refresh_from_db()
    inviter.refresh_from_db()
    assert (fresh.invited_by_id, inviter.referrals_count) == (None, 1)
    assert client.get(LIST, {"state": "undone"}).context["cl"].result_count == 1
    again = client.post(
        LIST, {"action": "undo", "_selected_action": records, "index": 0}, follow=True
    ).content.decode()
    assert "1 activation undone" in again and "1 was not in force" in again
    inviter.refresh_from_db()
    assert inviter.referrals_count == 0


def test_staff_without_the_permission_only_look(activations) -> None:
    inviter, plain, _fresh = activations
    viewer = User.objects.create_user(phone_number="+79990000078", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_activation"))
    client = staff_client(viewer)
    page = client.get(LIST)
    assert page.status_code == 200
    assert b'value="undo"' not in page.content
    record = Activation.objects.get(invitee=plain)
    client.post(LIST, {"action": "undo", "_selected_action": [record.pk], "index": 0})
    plain.refresh_from_db()
    assert plain.invited_by_id == inviter.pk


def test_people_who_are_not_staff_never_see_them(activations, make_user) -> None:
    client = Client()
    client.force_login(make_user("+79990000079"), backend=PASSWORDS)
    response = client.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
