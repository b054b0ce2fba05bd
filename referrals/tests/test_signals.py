"""What each activation records for staff (referrals.models.Activation): its signals, the
refusal when REFERRAL_SIGNALS_BLOCK is on, and undoing an activation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import Activation
from referrals.services import activation_undo, invite_code_activate
from users.models import User
from users.sessions import session_start
from users.tests.helpers import assert_error, auth_client

from .helpers import activate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_proxied")]

HOME = "5.5.5.7"  # the inviter's network: 5.5.5.0/24
ELSEWHERE = "6.6.6.6"


@pytest.fixture
def _proxied(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]  # the test client is the proxy: X-Forwarded-For


def seen_from(user: User, ip: str) -> None:
    """``user`` logs in from ``ip`` (a session remembers its network)."""
    session_start(user_id=user.pk, user_agent="test", client_ip=ip, lifetime=timedelta(days=1))


def aged(user: User, minutes: int) -> User:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(minutes=minutes))
    user.refresh_from_db()
    return user


def activated(user: User, inviter: User, ip: str = ELSEWHERE) -> Activation:
    response = activate(auth_client(user), inviter.invite_code, HTTP_X_FORWARDED_FOR=ip)
    assert response.status_code == 200, response.content
    return Activation.objects.get(invitee=user, undone_at__isnull=True)


def test_an_ordinary_activation_is_recorded_without_signals(make_user) -> None:
    inviter, invitee = make_user("+79990001000"), aged(make_user("+79161234567"), 60 * 24)
    seen_from(inviter, HOME)
    seen_from(invitee, ELSEWHERE)
    record = activated(invitee, inviter)
    assert (record.inviter_id, record.network) == (inviter.pk, "6.6.6.0/24")
    assert record.created_at == User.objects.get(pk=invitee.pk).invited_at
    signals = (record.shared_network, record.from_inviter_network, record.close_numbers)
    assert signals == (False, False, 0)
    assert record.recent_activations == 1
    assert not record.strong and not record.refused


def test_the_invitee_and_the_inviter_seen_from_one_network(make_user) -> None:
    inviter, invitee = make_user("+79990001000"), aged(make_user("+79161234567"), 60)
    seen_from(inviter, HOME)
    seen_from(invitee, "5.5.5.200")  # the same /24
    record = activated(invitee, inviter)
    assert record.shared_network
    assert not record.strong  # a family, an office, a carrier's NAT: weak alone


def test_a_minutes_old_account_activating_from_the_inviter_s_network(make_user) -> None:
    inviter = make_user("+79990001000")
    seen_from(inviter, HOME)
    fresh, older = make_user("+79161234567"), aged(make_user("+79261234567"), 11)
    record = activated(fresh, inviter, ip="5.5.5.99")
    assert record.from_inviter_network and record.strong
    assert not activated(older, inviter, ip="5.5.5.99").from_inviter_network
    other_fresh = make_user("+79361234567")
    assert not activated(other_fresh, inviter, ip=ELSEWHERE).from_inviter_network


@override_settings(REFERRAL_SIGNAL_BURST_ACTIVATIONS=3, REFERRAL_SIGNAL_BURST_MINUTES=10)
def test_a_burst_of_activations_of_one_code(make_user) -> None:
    inviter, other = make_user("+79990001000"), make_user("+79990002000")
    invitees = [aged(make_user(f"+7916{n}000000"), 60) for n in range(1, 5)]
    Activation.objects.create(  # an activation of the code an hour ago: outside the window
        invitee=make_user("+79170000000"),
        inviter=inviter,
        created_at=timezone.now() - timedelta(hours=1),
        shared_network=False,
        from_inviter_network=False,
        recent_activations=1,
        close_numbers=0,
        strong=False,
        refused=False,
    )
    records = [activated(person, inviter) for person in invitees[:3]]
    assert [r.recent_activations for r in records] == [1, 2, 3]
    assert [r.strong for r in records] == [False, False, True]
    assert activated(invitees[3], other).recent_activations == 1  # per code


def test_numbers_close_to_the_inviter_s_or_to_their_invitees(make_user) -> None:
    inviter = make_user("+79990001000")
    near_inviter = aged(make_user("+79990001007"), 60)
    assert activated(near_inviter, inviter).close_numbers == 1
    first, second = aged(make_user("+79165550000"), 60), aged(make_user("+79165550010"), 60)
    third = aged(make_user("+79165550021"), 60)
    assert activated(first, inviter).close_numbers == 0
    assert activated(second, inviter).close_numbers == 1  # 10 apart: the edge is in
    assert activated(third, inviter).close_numbers == 0  # 11 from the nearest
    stranger = make_user("+79165550001")  # close, but nobody's invitee
    assert activated(aged(make_user("+79165550002"), 60), inviter).close_numbers == 2
    assert stranger.invited_by_id is None


def test_a_shared_network_with_close_numbers_is_strong(make_user) -> None:
    inviter, invitee = make_user("+79990001000"), aged(make_user("+79990001001"), 60)
    seen_from(inviter, HOME)
    seen_from(invitee, HOME)
    record = activated(invitee, inviter)
    assert (record.shared_network, record.close_numbers, record.strong) == (True, 1, True)


@override_settings(REFERRAL_SIGNALS_BLOCK=True, INVITE_FAILURES_PER_USER_HOUR=2)
def test_with_blocking_on_a_strong_signal_refuses_and_is_kept_for_review(make_user) -> None:
    inviter = make_user("+79990001000")
    seen_from(inviter, HOME)
    fresh = make_user("+79161234567")
    client = auth_client(fresh)
    body = assert_error(
        activate(client, inviter.invite_code, HTTP_X_FORWARDED_FOR=HOME), 409, "invite_refused"
    )
    assert "network" not in body["detail"]  # never says which signal
    fresh.refresh_from_db()
    inviter.refresh_from_db()
    assert (fresh.invited_by_id, inviter.referrals_count) == (None, 0)
    record = Activation.objects.get(invitee=fresh)
    assert record.refused and record.strong and record.from_inviter_network
    # A refusal is a failed attempt: it counts against the failure limits.
    assert_error(
        activate(client, inviter.invite_code, HTTP_X_FORWARDED_FOR=HOME), 409, "invite_refused"
    )
    assert activate(client, inviter.invite_code, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 429
    # Weak signals alone never refuse.
    older = aged(make_user("+79261234567"), 60)
    seen_from(older, HOME)
    assert activated(older, inviter, ip=HOME).shared_network


def test_with_blocking_off_a_strong_signal_is_only_recorded(make_user) -> None:
    inviter = make_user("+79990001000")
    seen_from(inviter, HOME)
    fresh = make_user("+79161234567")
    record = activated(fresh, inviter, ip=HOME)
    assert record.strong and not record.refused
    assert User.objects.get(pk=fresh.pk).invited_by_id == inviter.pk


def test_the_activation_gains_one_statement_which_writes_the_record(make_user) -> None:
    inviter, invitee = make_user(), make_user()
    with CaptureQueriesContext(connection) as queries:
        invite_code_activate(user=invitee, raw_code=inviter.invite_code, client_ip=ELSEWHERE)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]
    # The inviter's code, the tree's root, the locks, the two user rows: and the record.
    assert len(statements) == 6, statements
    assert sum(Activation._meta.db_table in sql for sql in statements) == 1


def test_undoing_an_activation(make_user) -> None:
    inviter, invitee = make_user(), make_user()
    first = activated(invitee, inviter)
    assert activation_undo(activation_id=first.pk)
    invitee.refresh_from_db()
    inviter.refresh_from_db()
    assert (invitee.invited_by_id, invitee.invited_at, inviter.referrals_count) == (None, None, 0)
    first.refresh_from_db()
    assert first.undone_at is not None
    assert not activation_undo(activation_id=first.pk)  # once
    inviter.refresh_from_db()
    assert inviter.referrals_count == 0
    again = activated(invitee, inviter)  # the invitee may activate a code again
    assert again.pk != first.pk and again.recent_activations == 2


def test_undoing_a_refused_or_vanished_activation_changes_nothing(make_user) -> None:
    inviter, invitee = make_user(), make_user()
    record = activated(invitee, inviter)
    User.objects.filter(pk=invitee.pk).update(invited_by=None, invited_at=None)  # as a deletion
    assert not activation_undo(activation_id=record.pk)
    inviter.refresh_from_db()
    assert inviter.referrals_count == 1
    assert not activation_undo(activation_id=10**9)


def test_deleting_either_user_deletes_their_records(make_user) -> None:
    from users.services import users_delete

    inviter, invitee, other = make_user(), make_user(), make_user()
    activated(invitee, inviter)
    activated(other, invitee)
    users_delete(user_ids=[invitee.pk])
    assert Activation.objects.count() == 0
