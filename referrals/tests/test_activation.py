import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from users.models import User
from users.tests.helpers import assert_error, auth_client

from .helpers import activate

pytestmark = pytest.mark.django_db


@pytest.fixture
def inviter(make_user):
    return make_user("+79990000100")


def test_activation_sets_the_inviter_and_answers_with_the_profile(user, user_api, inviter) -> None:
    before = timezone.now()
    response = activate(user_api, inviter.invite_code)
    assert response.status_code == 200
    body = response.json()
    assert body["activated_invite_code"] == inviter.invite_code
    assert body["invite_code"] == user.invite_code
    user.refresh_from_db()
    inviter.refresh_from_db()
    assert user.invited_by_id == inviter.pk
    assert user.invited_at is not None
    assert before <= user.invited_at <= timezone.now()
    assert inviter.referrals_count == 1


def test_input_is_forgiving(user_api, make_user) -> None:
    owner = User(phone_number="+79990000200", invite_code="ABC120")
    owner.save()
    response = activate(user_api, "abc-12o")
    assert response.status_code == 200
    assert response.json()["activated_invite_code"] == "ABC120"


def test_the_same_code_again_is_idempotent(user, user_api, inviter) -> None:
    assert activate(user_api, inviter.invite_code).status_code == 200
    first_time = User.objects.get(pk=user.pk).invited_at
    again = activate(user_api, inviter.invite_code.lower())
    assert again.status_code == 200
    assert User.objects.get(pk=user.pk).invited_at == first_time
    assert User.objects.get(pk=inviter.pk).referrals_count == 1


def test_a_second_different_code_is_refused(user, user_api, inviter, make_user) -> None:
    other = make_user("+79990000300")
    assert activate(user_api, inviter.invite_code).status_code == 200
    assert_error(activate(user_api, other.invite_code), 409, "invite_code_already_activated")
    assert User.objects.get(pk=user.pk).invited_by_id == inviter.pk
    assert User.objects.get(pk=other.pk).referrals_count == 0


def test_own_unknown_and_malformed_codes(user, user_api) -> None:
    assert_error(activate(user_api, user.invite_code), 400, "own_invite_code")
    unknown = "ZZZZZZ" if user.invite_code != "ZZZZZZ" else "YYYYYY"
    assert_error(activate(user_api, unknown), 404, "invite_code_not_found")
    for bad in ["abc", "ABCDEFG", "ABC_12", "ＡＢＣ１２０"]:
        assert_error(activate(user_api, bad), 400, "invalid")
    for wrong_type in [123456, None, ["ABC120"], {"a": 1}]:
        body = assert_error(activate(user_api, wrong_type), 400, "invalid")
        assert "invite_code" in body["errors"]
    assert User.objects.get(pk=user.pk).invited_by_id is None


def test_no_cycles_of_two_or_three(make_user) -> None:
    a, b, c = (make_user(f"+7999000040{i}") for i in range(3))
    api_a, api_b, api_c = auth_client(a), auth_client(b), auth_client(c)
    assert activate(api_a, b.invite_code).status_code == 200  # A was invited by B
    assert_error(activate(api_b, a.invite_code), 409, "invite_cycle")
    assert activate(api_b, c.invite_code).status_code == 200  # B was invited by C
    assert_error(activate(api_c, a.invite_code), 409, "invite_cycle")
    assert_error(activate(api_c, b.invite_code), 409, "invite_cycle")


def test_failed_attempts_are_limited_per_user(user_api, inviter) -> None:
    for _ in range(10):
        assert_error(activate(user_api, "ZZZZZ1"), 404, "invite_code_not_found")
    response = activate(user_api, inviter.invite_code)
    body = assert_error(response, 429, "too_many_requests")
    assert body["retry_after"] > 0
    assert response.headers["Retry-After"] == str(body["retry_after"])


def test_successful_and_idempotent_attempts_do_not_count(user_api, inviter) -> None:
    for _ in range(9):
        assert_error(activate(user_api, "ZZZZZ1"), 404, "invite_code_not_found")
    for _ in range(5):
        assert activate(user_api, inviter.invite_code).status_code == 200
    assert_error(activate(user_api, "ZZZZZ1"), 404, "invite_code_not_found")
    assert_error(activate(user_api, "ZZZZZ1"), 429, "too_many_requests")


@override_settings(INVITE_FAILURES_PER_IP_HOUR=3)
def test_failed_attempts_are_limited_per_ip(make_user) -> None:
    for _ in range(3):
        assert_error(activate(auth_client(make_user()), "ZZZZZ1"), 404, "invite_code_not_found")
    assert_error(activate(auth_client(make_user()), "ZZZZZ1"), 429, "too_many_requests")
    other_ip = activate(auth_client(make_user()), "ZZZZZ1", REMOTE_ADDR="10.1.1.1")
    assert_error(other_ip, 404, "invite_code_not_found")


def test_activation_needs_a_token(api, inviter) -> None:
    assert_error(activate(api, inviter.invite_code), 401, "not_authenticated")


def test_the_database_holds_the_invariants(user, inviter) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(invited_by=user.pk, invited_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(invited_by=inviter.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(invited_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(phone_number="+79990000555", invite_code=inviter.invite_code)
    for phone, code in [
        ("89990000556", "ABC123"),  # not E.164
        ("+7 999 000-05-57", "ABC124"),
        ("+79990000558", "abc125"),  # not canonical
        ("+79990000559", "ABCU26"),  # U is not in the alphabet
        ("+79990000560", "ABC12"),  # too short
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(phone_number=phone, invite_code=code)
    User.objects.create(phone_number="+79990000561", invite_code="0Z9HJK")  # a valid pair
