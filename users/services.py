"""Writes about who a user is: create them, log them in."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone

from .errors import UserInactive
from .models import LoginSession, User
from .otp import code_verify
from .sessions import session_start


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
