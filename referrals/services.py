"""Writes about referrals: activating someone's invite code, once, without cycles; what
staff want to know about each activation; undoing one."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.client_ip import client_network
from core.errors import ServiceUnavailable
from core.limits import limits_held
from users.errors import TokenNotValid
from users.invite_codes import invite_code_normalize
from users.models import LoginSession, User

from .errors import (
    InviteCodeAlreadyActivated,
    InviteCodeInvalid,
    InviteCodeNotFound,
    InviteCycle,
    InviteRefused,
    OwnInviteCode,
)
from .models import Activation

ACTIVATION_ATTEMPTS = 20

_ROOT_SQL = """
WITH RECURSIVE chain(id, invited_by_id, depth) AS (
    SELECT id, invited_by_id, 0 FROM {table} WHERE id = %s
    UNION ALL
    SELECT u.id, u.invited_by_id, chain.depth + 1
    FROM {table} u JOIN chain ON u.id = chain.invited_by_id
    WHERE chain.depth < 1000000
)
SELECT id FROM chain WHERE invited_by_id IS NULL
"""


def _root_of(user_id: int) -> int:
    """The top of ``user_id``'s inviter chain (the chain is acyclic by construction)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROOT_SQL.format(table=User._meta.db_table), [user_id])
        row = cursor.fetchone()
    return int(row[0]) if row else user_id


def _lock(ids: set[int]) -> dict[int, User]:
    """Lock these users' rows, in id order so two activations never wait on each other."""
    rows = (
        User.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .only("id", "invited_by_id", "invited_at", "invite_code", "phone_number", "date_joined")
    )
    return {u.pk: u for u in rows}


# The signals of one activation, read and written in one statement (the activation's only
# addition). It runs after the activation has locked the inviter's row, so activations of
# one code run it one after another, each seeing the ones before (READ COMMITTED takes a
# new snapshot per statement): the burst and close-number counts hold under concurrency.
_RECORD_SQL = """
WITH signals AS (
    SELECT
        EXISTS (
            SELECT 1 FROM {session} mine JOIN {session} theirs ON theirs.network = mine.network
            WHERE mine.user_id = %(invitee)s AND theirs.user_id = %(inviter)s
            AND mine.network <> ''
        ) AS shared_network,
        (%(new_account)s AND EXISTS (
            SELECT 1 FROM {session}
            WHERE user_id = %(inviter)s AND network = %(network)s AND network <> ''
        )) AS from_inviter_network,
        (
            SELECT COUNT(*) FROM {activation}
            WHERE inviter_id = %(inviter)s AND created_at >= %(burst_since)s
        ) + 1 AS recent_activations,
        (
            SELECT COUNT(*) FROM {user}
            WHERE phone_number BETWEEN %(low)s AND %(high)s AND id <> %(invitee)s
            AND (id = %(inviter)s OR invited_by_id = %(inviter)s)
        ) AS close_numbers
), judged AS (
    SELECT signals.*, (
        from_inviter_network
        OR recent_activations >= %(burst)s
        OR (shared_network AND close_numbers > 0)
    ) AS strong
    FROM signals
)
INSERT INTO {activation} (
    invitee_id, inviter_id, created_at, network, shared_network, from_inviter_network,
    recent_activations, close_numbers, strong, refused
)
SELECT
    %(invitee)s, %(inviter)s, %(at)s, %(network)s, shared_network, from_inviter_network,
    recent_activations, close_numbers, strong, strong AND %(block)s
FROM judged
RETURNING shared_network, from_inviter_network, recent_activations, close_numbers, strong, refused
"""


@dataclass(frozen=True)
class Signals:
    shared_network: bool
    from_inviter_network: bool
    recent_activations: int
    close_numbers: int
    strong: bool
    refused: bool


def _close_range(phone: str) -> tuple[str, str]:
    """The numbers of ``phone``'s length within REFERRAL_SIGNAL_CLOSE_NUMBERS of it (E.164)."""
    digits, width, near = int(phone[1:]), len(phone) - 1, settings.REFERRAL_SIGNAL_CLOSE_NUMBERS
    low, high = max(digits - near, 0), min(digits + near, 10**width - 1)
    return f"+{low:0{width}d}", f"+{high:0{width}d}"


def activation_record(*, invitee: User, inviter_id: int, at: datetime, network: str) -> Signals:
    """Record an activation with its signals (one statement), refused when a strong one
    shows and REFERRAL_SIGNALS_BLOCK is on. Call it with the inviter's row locked.

    Strong: a minutes-old account activating from the inviter's network, a burst of
    activations of the code, or a shared network with close numbers."""
    low, high = _close_range(invitee.phone_number)
    new_since = at - timedelta(minutes=settings.REFERRAL_SIGNAL_NEW_ACCOUNT_MINUTES)
    burst_since = at - timedelta(minutes=settings.REFERRAL_SIGNAL_BURST_MINUTES)
    sql = _RECORD_SQL.format(
        session=LoginSession._meta.db_table,
        activation=Activation._meta.db_table,
        user=User._meta.db_table,
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "invitee": invitee.pk,
        "inviter": inviter_id,
        "at": adapt(at),
        "network": network,
        "new_account": invitee.date_joined >= new_since,
        "burst_since": adapt(burst_since),
        "burst": settings.REFERRAL_SIGNAL_BURST_ACTIVATIONS,
        "low": low,
        "high": high,
        "block": settings.REFERRAL_SIGNALS_BLOCK,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        shared, from_inviter, recent, close, strong, refused = cursor.fetchone()
    return Signals(
        bool(shared), bool(from_inviter), int(recent), int(close), bool(strong), bool(refused)
    )


@dataclass(frozen=True)
class Activated:
    inviter_id: int
    at: datetime
    refused: bool = False  # a strong signal refused it (REFERRAL_SIGNALS_BLOCK)


class _RootMoved(Exception):
    """A concurrent activation moved the tree's root between reading and locking it."""


def _already(me: User, inviter: User) -> Activated | None:
    """An activation is once per user: the same code again changes nothing (None), another
    is refused."""
    if me.invited_by_id == inviter.pk:
        return None
    raise InviteCodeAlreadyActivated()


def _activate(user: User, code: str, network: str) -> Activated | None:
    """One attempt: the activation it made, or None when it was already done."""
    user_id = user.pk
    with transaction.atomic():
        inviter = User.objects.only("id", "invite_code").filter(invite_code=code).first()
        if inviter is None:
            raise InviteCodeNotFound()
        if inviter.pk == user_id:
            raise OwnInviteCode()
        if user.invited_at is not None:  # as read with the request: decided without a lock
            return _already(user, inviter)
        # Activations merge inviter trees. Lock the activating user and the root of the
        # inviter's tree: two activations that could close a loop always share a lock. The
        # inviter too, whose count this one writes: every row it will write is locked in one
        # step, in id order, so no two activations wait on each other crosswise.
        root = _root_of(inviter.pk)
        locked = _lock({user_id, root, inviter.pk})
        if user_id not in locked:  # deleted (in the admin) since the request was authenticated
            raise TokenNotValid()
        if (
            inviter.pk not in locked
            or root not in locked
            or (locked[root].invited_by_id is not None and root != user_id)
        ):
            # Deleted, or the root joined another tree, meanwhile: start again, locks released
            # (a deleted inviter's code is then not found).
            raise _RootMoved
        me = locked[user_id]
        if me.invited_at is not None:
            return _already(me, inviter)
        if root == user_id:
            raise InviteCycle()
        at = timezone.now()
        if activation_record(invitee=me, inviter_id=inviter.pk, at=at, network=network).refused:
            # Committed as it is: the record stays, and nothing else is written.
            return Activated(inviter_id=inviter.pk, at=at, refused=True)
        made = Activated(inviter_id=inviter.pk, at=at)
        User.objects.filter(pk=user_id).update(invited_by=made.inviter_id, invited_at=made.at)
        User.objects.filter(pk=inviter.pk).update(referrals_count=F("referrals_count") + 1)
        return made


def invite_code_activate(*, user: User, raw_code: object, client_ip: str) -> bool:
    """Make the owner of ``raw_code`` ``user``'s inviter (``user`` shows it too); False if
    that was already so.

    Failed attempts are limited per user and per IP (a slot is taken before trying and
    given back unless the attempt fails), so the short codes cannot be enumerated.
    """
    checks = ("invite_failures_per_user", str(user.pk)), ("invite_failures_per_ip", client_ip)
    with limits_held(*checks) as taken:
        code = invite_code_normalize(raw_code)
        if code is None:
            raise InviteCodeInvalid()
        made = _activate_retrying(user, code, client_network(client_ip))
        if made is not None and made.refused:
            raise InviteRefused()  # a failure: its slot is kept
        taken.refund()
    if made is None:
        return False
    user.invited_by_id, user.invited_at = made.inviter_id, made.at
    return True


def _activate_retrying(user: User, code: str, network: str) -> Activated | None:
    """Run the activation again when a concurrent one moved the root under it.

    Each retry means another activation committed, so the loop always makes progress.
    """
    for _attempt in range(ACTIVATION_ATTEMPTS):
        try:
            return _activate(user, code, network)
        except _RootMoved:
            continue
    raise ServiceUnavailable()


def activation_undo(*, activation_id: int) -> bool:
    """Undo an activation in force (staff): the invitee has no inviter any more (and may
    activate a code again), the inviter's count follows. False if it is not in force (any
    more). The two users are locked as an activation locks them: in one step, in id order."""
    in_force = Activation.objects.filter(pk=activation_id, refused=False, undone_at__isnull=True)
    pair = in_force.values_list("invitee_id", "inviter_id").first()
    if pair is None:
        return False
    invitee_id, inviter_id = pair
    with transaction.atomic():
        locked = _lock({invitee_id, inviter_id})
        invitee = locked.get(invitee_id)
        if invitee is None or invitee.invited_by_id != inviter_id:
            return False  # deleted, or its activation already undone, meanwhile
        if not in_force.update(undone_at=timezone.now()):
            return False
        User.objects.filter(pk=invitee_id).update(invited_by=None, invited_at=None)
        User.objects.filter(pk=inviter_id).update(referrals_count=F("referrals_count") - 1)
    return True
