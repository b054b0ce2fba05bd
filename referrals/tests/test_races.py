"""Activation races on real threads against PostgreSQL: one winner, never a loop."""

import pytest
from django.db.models import Count, F
from django.test import override_settings
from rest_framework.test import APIClient

from core.tests.helpers import postgres_only, run_parallel
from users.models import User
from users.tests.helpers import auth_client

from .helpers import activate

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

TRIALS = 100
RAISED_LIMITS = override_settings(
    INVITE_FAILURES_PER_USER_HOUR=10**6, INVITE_FAILURES_PER_IP_HOUR=10**6
)


def activate_together(attempts: list[tuple[APIClient, str]]) -> list[int]:
    """Each (client, code) activation in its own thread, all released at once."""
    return run_parallel(lambda i: activate(*attempts[i]).status_code, len(attempts))


def assert_consistent() -> None:
    half = User.objects.filter(invited_by__isnull=False, invited_at__isnull=True).count()
    assert half == 0
    wrong_counts = (
        User.objects.annotate(actual=Count("referrals"))
        .exclude(referrals_count=F("actual"))
        .count()
    )
    assert wrong_counts == 0


@RAISED_LIMITS
def test_fifty_concurrent_activations_by_one_user_one_wins(make_user) -> None:
    user = make_user("+79990001000")
    inviters = [make_user(f"+7999100{i:04d}") for i in range(50)]
    client = auth_client(user)
    results = run_parallel(lambda i: activate(client, inviters[i].invite_code).status_code, 50)
    assert sorted(results) == [200] + [409] * 49
    user.refresh_from_db()
    assert user.invited_by_id in {u.pk for u in inviters}
    assert (
        sum(
            User.objects.filter(pk__in=[u.pk for u in inviters]).values_list(
                "referrals_count", flat=True
            )
        )
        == 1
    )
    assert_consistent()


@RAISED_LIMITS
def test_concurrent_a_to_b_and_b_to_a_never_both_succeed(make_user) -> None:
    both = 0
    for _trial in range(TRIALS):
        a, b = make_user(), make_user()
        pairs = [(auth_client(a), b.invite_code), (auth_client(b), a.invite_code)]
        results = activate_together(pairs)
        assert sorted(results) == [200, 409], results
        both += results.count(200) == 2
    assert both == 0
    assert_consistent()


@RAISED_LIMITS
def test_three_way_loop_never_closes(make_user) -> None:
    for _trial in range(TRIALS):
        users = [make_user() for _ in range(3)]
        clients = [auth_client(u) for u in users]
        # A -> B, B -> C, C -> A, all at once: at most two of them can hold
        results = activate_together(
            [(clients[i], users[(i + 1) % 3].invite_code) for i in range(3)]
        )
        assert sorted(results) == [200, 200, 409], results
    assert_consistent()


@RAISED_LIMITS
def test_activating_a_member_of_a_tree_while_they_activate_again_never_deadlocks(
    make_user,
) -> None:
    """U activates I's code while I (invited by the root R) sends its own activation again.

    With I's id below R's, I's request locks I, then R; U's locks U and R, then writes I's
    referral count: unless U's request locked I with the others, each waits on the other
    and PostgreSQL aborts one (a 503)."""
    for _trial in range(TRIALS // 2):
        member, root, newcomer = make_user(), make_user(), make_user()
        assert member.pk < root.pk
        member_client = auth_client(member)
        assert activate(member_client, root.invite_code).status_code == 200
        results = activate_together(
            [(auth_client(newcomer), member.invite_code), (member_client, root.invite_code)]
        )
        assert results == [200, 200], results
    assert_consistent()


@RAISED_LIMITS
@pytest.mark.parametrize(
    ("deleted", "status", "code"),
    [
        ("inviter", 404, "invite_code_not_found"),
        ("user", 401, "token_not_valid"),
    ],
)
def test_a_user_deleted_during_an_activation_gets_a_clear_answer(
    make_user, monkeypatch, deleted, status, code
) -> None:
    from referrals import services
    from users.services import users_delete
    from users.tests.helpers import assert_error

    people = {"user": make_user(), "inviter": make_user()}
    read = services._root_of

    def root_read_then_deleted(user_id: int) -> int:
        found = read(user_id)
        # Deleted from the admin, on another connection, before the activation locks its rows.
        run_parallel(lambda _i: users_delete(user_ids=[people[deleted].pk]), 1)
        return found

    monkeypatch.setattr(services, "_root_of", root_read_then_deleted)
    response = activate(auth_client(people["user"]), people["inviter"].invite_code)
    assert_error(response, status, code)
