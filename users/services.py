"""Writes about who a user is: create them, log them in."""

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils import timezone

from .errors import UserInactive
from .models import User
from .otp import code_verify
from .tokens import token_pair_issue


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
