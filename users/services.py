"""Writes about who a user is: create them, log them in, change their number, delete them.

Who owns a phone number changes in three ways: a first login creates an account for it, a
number change moves it to another account, a deletion frees it. Each ends the sessions that
the change must end, in the transaction that makes it, and a login whose code proved a
number that changed hands meanwhile starts again (the old number logs in as a new user).
"""

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import ServiceUnavailable

from .errors import PhoneTaken, PhoneUnchanged, TokenNotValid, UserInactive
from .models import LoginSession, User
from .otp import SentCode, code_send, code_verify
from .sessions import session_start
from .sms.message import phone_change_code_text

DELETE_ATTEMPTS = 5
LOGIN_ATTEMPTS = 3
LOCK_CHUNK = 2000  # rows a deletion locks per fetch


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
    for _attempt in range(LOGIN_ATTEMPTS):
        user, created = user_get_or_create(phone=phone)
        if not user.is_active:
            raise UserInactive()
        with transaction.atomic():
            # The row lock orders this login against a number change or a deletion: if the
            # number left this account meanwhile, the login starts again with whoever holds
            # it now (nobody: a new account).
            held = User.objects.filter(pk=user.pk, phone_number=phone, is_active=True)
            if not held.update(last_login=timezone.now()):
                continue
            session = session_start(
                user_id=user.pk, user_agent=user_agent, client_ip=client_ip, lifetime=lifetime
            )
        return Login(user=user, session=session, is_new_user=created)
    raise ServiceUnavailable()


def _change_purpose(user: User) -> str:
    """A number-change code is bound to the account that asked for it."""
    return f"phone-change:{user.pk}"


def phone_change_code_send(*, user: User, phone: str, client_ip: str) -> SentCode:
    """Send a code to the number ``user`` wants as theirs, within send-code's limits and
    budgets. Whether another account holds it is not told here (only after the code)."""
    if phone == user.phone_number:
        raise PhoneUnchanged()
    return code_send(
        phone=phone, client_ip=client_ip, purpose=_change_purpose(user), text=phone_change_code_text
    )


def phone_change_confirm(
    *, user: User, phone: str, code: str, client_ip: str, keep_session: uuid.UUID | None
) -> User:
    """Make ``phone`` ``user``'s number once its code is proved: every other session of the
    account ends, in the same transaction; ``PhoneTaken`` if another account holds it."""
    if phone == user.phone_number:
        raise PhoneUnchanged()
    code_verify(phone=phone, code=code, client_ip=client_ip, purpose=_change_purpose(user))
    return user_phone_set(user_id=user.pk, phone=phone, keep_session=keep_session)


def user_phone_set(*, user_id: int, phone: str, keep_session: uuid.UUID | None = None) -> User:
    """Give the account ``phone`` (E.164); every session of it ends but ``keep_session``.
    The number change of the API and the admin's are this one write."""
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(pk=user_id).first()
            if user is None:
                raise TokenNotValid()  # deleted meanwhile
            if (
                keep_session is not None
                and not LoginSession.objects.filter(pk=keep_session, user_id=user_id).exists()
            ):
                raise TokenNotValid()  # the session asking ended meanwhile
            if User.objects.filter(phone_number=phone).exclude(pk=user_id).exists():
                raise PhoneTaken()
            changed = user.phone_number != phone
            user.phone_number = phone
            user.save(update_fields=["phone_number"])
            if changed:
                ending = LoginSession.objects.filter(user_id=user_id)
                if keep_session is not None:
                    ending = ending.exclude(pk=keep_session)
                ending.delete()
    except IntegrityError:  # another account took it in between
        raise PhoneTaken() from None
    return user


def account_delete(*, user: User, code: str, client_ip: str) -> None:
    """Delete ``user``'s account once a fresh code to their own number is proved (a stolen
    access token alone deletes nobody)."""
    code_verify(phone=user.phone_number, code=code, client_ip=client_ip)
    users_delete(user_ids=[user.pk])


def users_delete(*, user_ids: Collection[int]) -> None:
    """Delete these users and everything of theirs (sessions, spent tokens); each inviter
    they leave keeps a true ``referrals_count``; their invitees keep their accounts, without
    the activation (their profile shows none; they may activate another code).

    Every row written is locked in one step, in id order, as an activation locks its rows:
    the users, their inviters and their invitees (streamed: flat in memory however many). An
    activation that committed in between (a new inviter or invitee) starts the step again.
    """
    ids = set(user_ids)
    for _attempt in range(DELETE_ATTEMPTS):
        seen = User.objects.filter(pk__in=ids).values_list("pk", "invited_by_id")
        inviters = {inviter for _pk, inviter in seen if inviter is not None}
        with transaction.atomic():
            rows = (
                User.objects.select_for_update()
                .filter(Q(pk__in=ids | inviters) | Q(invited_by__in=ids))
                .order_by("pk")
                .values_list("pk", "invited_by_id")
            )
            now: dict[int, int | None] = {}  # the users' inviters, as locked
            invitees = 0
            for pk, invited_by in rows.iterator(chunk_size=LOCK_CHUNK):
                if pk in ids:
                    now[pk] = invited_by
                elif invited_by in ids:
                    invitees += 1
            leaving = [inviter for pk in ids if (inviter := now.get(pk)) is not None]
            if not set(leaving) <= inviters:
                continue  # one of them activated a code meanwhile: lock its inviter too
            staying = User.objects.filter(invited_by__in=ids).exclude(pk__in=ids)
            if staying.count() != invitees:
                continue  # someone activated one of their codes meanwhile: lock them too
            staying.update(invited_by=None, invited_at=None)
            for inviter, lost in Counter(i for i in leaving if i not in ids).items():
                User.objects.filter(pk=inviter).update(referrals_count=F("referrals_count") - lost)
            User.objects.filter(pk__in=ids).delete()
            return
    raise ServiceUnavailable()
