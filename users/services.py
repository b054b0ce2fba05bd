"""Writes about who a user is: create them, log them in."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from referral_system.errors import ServiceUnavailable, UserInactive
from referrals.invite_codes import invite_code_generate

from .codes import code_verify
from .models import User
from .tokens import token_pair_issue

INVITE_CODE_ATTEMPTS = 8


def user_insert(*, user: User) -> User:
    """Insert a new user, drawing a new invite code whenever the drawn one is taken.

    The unique index decides; a collision never leaves a user without a code. Any other
    integrity error (say, a phone number registered in parallel) is raised as it is.
    """
    for _attempt in range(INVITE_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                user.save(force_insert=True)
            return user
        except IntegrityError:
            if not User.objects.filter(invite_code=user.invite_code).exists():
                raise
            user.invite_code = invite_code_generate()
    raise ServiceUnavailable()


@dataclass(frozen=True)
class Login:
    user: User
    tokens: dict[str, str]
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


def user_login(*, phone: str, code: str, client_ip: str) -> Login:
    """Spend the one-time code and return a token pair; the first login creates the user."""
    code_verify(phone=phone, code=code, client_ip=client_ip)
    user, created = user_get_or_create(phone=phone)
    if not user.is_active:
        raise UserInactive()
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return Login(user=user, tokens=token_pair_issue(user=user), is_new_user=created)
