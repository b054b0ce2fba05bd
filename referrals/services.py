"""Writes about referrals: activating someone's invite code, once, without cycles."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ServiceUnavailable
from core.limits import limits_held
from users.errors import TokenNotValid
from users.invite_codes import invite_code_normalize
from users.models import User

from .errors import (
    InviteCodeAlreadyActivated,
    InviteCodeInvalid,
    InviteCodeNotFound,
    InviteCycle,
    OwnInviteCode,
)

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
        .only("id", "invited_by_id", "invited_at", "invite_code")
    )
    return {u.pk: u for u in rows}


@dataclass(frozen=True)
class Activation:
    inviter_id: int
    at: datetime


class _RootMoved(Exception):
    """A concurrent activation moved the tree's root between reading and locking it."""


def _already(me: User, inviter: User) -> Activation | None:
    """An activation is once per user: the same code again changes nothing (None), another
    is refused."""
    if me.invited_by_id == inviter.pk:
        return None
    raise InviteCodeAlreadyActivated()


def _activate(user: User, code: str) -> Activation | None:
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
        made = Activation(inviter_id=inviter.pk, at=timezone.now())
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
        made = _activate_retrying(user, code)
        taken.refund()
    if made is None:
        return False
    user.invited_by_id, user.invited_at = made.inviter_id, made.at
    return True


def _activate_retrying(user: User, code: str) -> Activation | None:
    """Run the activation again when a concurrent one moved the root under it.

    Each retry means another activation committed, so the loop always makes progress.
    """
    for _attempt in range(ACTIVATION_ATTEMPTS):
        try:
            return _activate(user, code)
        except _RootMoved:
            continue
    raise ServiceUnavailable()
