"""Writes about who a user is: create them, log them in, delete them."""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ServiceUnavailable

from .errors import UserInactive
from .models import LoginSession, User
from .otp import code_verify
from .sessions import session_start

DELETE_ATTEMPTS = 5


@dataclass(frozen=True)
class Login:
    user: User
    session: LoginSession
    is_new_user: bool


def user_get_or_create(*, phone: str) -> tuple[User, bool]:
    """The user with this E.164 phone number, created on first sight."""
    user = User.objects.filter(phone_number=phone).first()
    if user is not None:
        return user, False
    try:
        return User.objects.create_user(phone_number=phone), True
    except IntegrityError:
        return User.objects.get(phone_number=phone), False


def user_login(
    *, phone: str, code: str, client_ip: str, user_agent: str, lifetime: timedelta
) -> Login:
    """Spend the one-time code and start a session of ``lifetime`` (the refresh tokens' for
    the API, the cookie's for a browser); the first login creates the user."""
    code_verify(phone=phone, code=code, client_ip=client_ip)
    user, created = user_get_or_create(phone=phone)
    if not user.is_active:
        raise UserInactive()
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    session = session_start(
        user_id=user.pk, user_agent=user_agent, client_ip=client_ip, lifetime=lifetime
    )
    return Login(user=user, session=session, is_new_user=created)


def users_delete(*, user_ids: Collection[int]) -> None:
    """Delete these users; each inviter they leave keeps a true ``referrals_count``.

    The users and their inviters are locked in one step, in id order, as an activation locks
    its rows (no deadlock between the two); an activation that committed in between moves an
    inviter, and the step is taken again with it.
    """
    ids = set(user_ids)
    for _attempt in range(DELETE_ATTEMPTS):
        seen = User.objects.filter(pk__in=ids).values_list("pk", "invited_by_id")
        inviters = {inviter for _pk, inviter in seen if inviter is not None}
        with transaction.atomic():
            locked = User.objects.select_for_update().filter(pk__in=ids | inviters).order_by("pk")
            now = {u.pk: u.invited_by_id for u in locked.only("id", "invited_by_id")}
            leaving = [inviter for pk in ids if (inviter := now.get(pk)) is not None]
            if not set(leaving) <= inviters:
                continue  # one of them activated a code meanwhile: lock its inviter too
            for inviter, lost in Counter(i for i in leaving if i not in ids).items():
                User.objects.filter(pk=inviter).update(referrals_count=F("referrals_count") - lost)
            User.objects.filter(pk__in=ids).delete()
            return
    raise ServiceUnavailable()
