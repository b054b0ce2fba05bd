"""Activation signals on real threads against PostgreSQL: activations of one code, released
together, each record what the ones before it left, exactly once."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from core.tests.helpers import postgres_only, run_parallel
from referrals.models import Activation
from referrals.services import activation_undo
from users.models import User
from users.sessions import session_start
from users.tests.helpers import auth_client

from .helpers import activate
from .test_races import assert_consistent

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

N = 10  # sequential numbers all within 10 of each other
SETTINGS = override_settings(
    INVITE_FAILURES_PER_USER_HOUR=10**6,
    INVITE_FAILURES_PER_IP_HOUR=10**6,
    TRUSTED_PROXIES=["127.0.0.1/32"],
)


def activate_all(invitees: list[User], code: str, ips: list[str]) -> list[int]:
    clients = [auth_client(u) for u in invitees]
    return run_parallel(
        lambda i: activate(clients[i], code, HTTP_X_FORWARDED_FOR=ips[i]).status_code,
        len(invitees),
    )


def old(user: User) -> User:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=1))
    return user


@SETTINGS
@override_settings(REFERRAL_SIGNAL_BURST_ACTIVATIONS=N + 1)
def test_a_burst_of_one_code_counts_each_activation_once(make_user) -> None:
    inviter = make_user("+79990001000")
    # Sequential numbers too: each sees the neighbours that activated before it.
    invitees = [old(make_user(f"+7916555{n:04d}")) for n in range(N)]
    statuses = activate_all(invitees, inviter.invite_code, [f"6.6.{n}.1" for n in range(N)])
    assert statuses == [200] * N
    records = list(Activation.objects.filter(inviter=inviter).order_by("recent_activations"))
    assert [r.recent_activations for r in records] == list(range(1, N + 1))
    # All within 10 of each other: the k-th to activate is close to the k - 1 before it.
    assert [r.close_numbers for r in records] == list(range(N))
    assert [r.created_at for r in records] == sorted(r.created_at for r in records)
    assert not any(r.strong for r in records)  # close numbers alone are weak
    assert User.objects.get(pk=inviter.pk).referrals_count == N
    assert_consistent()


@SETTINGS
@override_settings(REFERRAL_SIGNALS_BLOCK=True, REFERRAL_SIGNAL_BURST_ACTIVATIONS=5)
def test_with_blocking_on_a_burst_lets_exactly_the_first_four_through(make_user) -> None:
    inviter = make_user("+79990001000")
    invitees = [old(make_user(f"+791{n:02d}000000")) for n in range(N)]  # far apart
    statuses = activate_all(invitees, inviter.invite_code, [f"6.6.{n}.1" for n in range(N)])
    assert sorted(statuses) == [200] * 4 + [409] * (N - 4)
    records = Activation.objects.filter(inviter=inviter).order_by("recent_activations")
    assert [(r.recent_activations, r.refused) for r in records] == [
        (n, n >= 5) for n in range(1, N + 1)
    ]
    assert User.objects.get(pk=inviter.pk).referrals_count == 4
    assert User.objects.filter(invited_by=inviter).count() == 4
    assert_consistent()


@SETTINGS
def test_network_signals_are_recorded_per_activation_under_concurrency(make_user) -> None:
    inviter = make_user("+79990001000")
    session_start(
        user_id=inviter.pk, user_agent="t", client_ip="5.5.5.5", lifetime=timedelta(days=1)
    )
    invitees = [make_user(f"+791{n:02d}000000") for n in range(N)]
    for person in invitees[::2]:  # half share the inviter's network
        session_start(
            user_id=person.pk, user_agent="t", client_ip="5.5.5.9", lifetime=timedelta(days=1)
        )
    for person in invitees[::3]:
        old(person)
    # Half activate from the inviter's network: the minutes-old ones among them are strong.
    ips = ["5.5.5.20" if n % 2 else "7.7.7.7" for n in range(N)]
    assert activate_all(invitees, inviter.invite_code, ips) == [200] * N
    for n, person in enumerate(invitees):
        record = Activation.objects.get(invitee=person)
        assert record.shared_network == (n % 2 == 0), n
        assert record.from_inviter_network == (n % 2 == 1 and n % 3 != 0), n
    assert_consistent()


def undo_while_activating(record_id: int, client: object, code: str) -> list[object]:
    """Staff undo the record in one thread while the invitee activates ``code`` in another."""
    return run_parallel(
        lambda i: (
            activation_undo(activation_id=record_id)
            if i == 0
            else activate(client, code).status_code  # type: ignore[arg-type]
        ),
        2,
    )


@SETTINGS
def test_undo_racing_a_new_activation_by_the_same_invitee(make_user) -> None:
    """Staff undo an activation while its invitee, who sees none yet, activates another
    code: either order is consistent, and at most one activation is in force."""
    outcomes = set()
    for _trial in range(20):
        first, second, invitee = make_user(), make_user(), make_user()
        assert activate(auth_client(invitee), first.invite_code).status_code == 200
        record_id = Activation.objects.get(invitee=invitee).pk
        undone, status = undo_while_activating(record_id, auth_client(invitee), second.invite_code)
        outcomes.add((undone, status))
        assert undone is True
        in_force = Activation.objects.filter(invitee=invitee, undone_at__isnull=True)
        invitee.refresh_from_db()
        if status == 200:  # the undo came first
            assert invitee.invited_by_id == second.pk
            assert [r.inviter_id for r in in_force] == [second.pk]
        else:  # the activation came first, and found the first one in force
            assert status == 409
            assert invitee.invited_by_id is None
            assert list(in_force) == []
    assert_consistent()
    assert outcomes <= {(True, 200), (True, 409)}
