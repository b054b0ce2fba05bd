"""An account's life under concurrency, on real threads against PostgreSQL."""

from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.tests.helpers import limit_reset, postgres_only, run_parallel
from users.models import LoginSession, User
from users.services import user_login, user_phone_set, users_delete
from users.tests.helpers import auth_client, last_code, send

from .helpers import activate
from .test_races import RAISED_LIMITS, assert_consistent

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

NEW = "+79995550777"


def test_concurrent_changes_to_one_number_one_wins(make_user) -> None:
    people = [make_user() for _ in range(8)]
    results = run_parallel(lambda i: user_phone_set(user_id=people[i].pk, phone=NEW), 8)
    won = [r for r in results if isinstance(r, User)]
    assert len(won) == 1, results
    assert User.objects.filter(phone_number=NEW).count() == 1
    assert all(type(r).__name__ == "PhoneTaken" for r in results if not isinstance(r, User))


@override_settings(AUTH_CODE_SENDS_PER_PHONE_HOUR=1000)
def test_a_login_racing_a_number_change_never_lands_on_the_account_that_left(make_user) -> None:
    """A login whose code proved the old number either ends with the change (it committed
    first) or starts a new account (the change committed first): never a live session of
    the account that now has another number."""
    for trial in range(10):
        old = f"+7999555{trial:04d}"
        user = make_user(old)
        limit_reset("send_cooldown", old)
        assert send(APIClient(), old).status_code == 200
        code = last_code(old)

        new = f"+7998555{trial:04d}"

        def step(
            i: int, user: User = user, old: str = old, code: str = code, new: str = new
        ) -> object:
            if i == 0:
                return user_phone_set(user_id=user.pk, phone=new)
            return user_login(
                phone=old,
                code=code,
                client_ip="10.0.0.1",
                user_agent="",
                lifetime=timedelta(days=1),
            )

        results = run_parallel(step, 2)
        assert not any(isinstance(r, Exception) for r in results), results
        login = results[1]
        holder = User.objects.get(phone_number=old) if login.is_new_user else None  # type: ignore[union-attr]
        if holder is None:  # the login came first; the change then ended its session
            assert not LoginSession.objects.filter(user_id=user.pk).exists()
        else:
            assert holder.pk != user.pk


@RAISED_LIMITS
def test_deleting_an_inviter_while_people_activate_its_code_keeps_every_count(make_user) -> None:
    for _ in range(5):
        root = make_user()
        inviter = make_user()
        assert activate(auth_client(inviter), root.invite_code).status_code == 200
        people = [make_user() for _ in range(6)]
        clients = [auth_client(p) for p in people]

        def step(i: int, inviter: User = inviter, clients: list[APIClient] = clients) -> object:
            if i == 0:
                users_delete(user_ids=[inviter.pk])
                return "deleted"
            return activate(clients[i - 1], inviter.invite_code).status_code

        results = run_parallel(step, 1 + len(people))
        assert results[0] == "deleted", results
        assert set(results[1:]) <= {200, 404}, results
        assert not User.objects.filter(pk=inviter.pk).exists()
        # Each activation either committed before the deletion, which then cleared it (the
        # invitees keep their accounts, without it), or found the code gone.
        activated = User.objects.filter(pk__in=[p.pk for p in people], invited_at__isnull=False)
        assert not activated.exists()
        assert User.objects.filter(pk__in=[p.pk for p in people]).count() == len(people)
        assert not User.objects.filter(invited_by=inviter.pk).exists()
        root.refresh_from_db()
        assert root.referrals_count == 0
        assert_consistent()
