from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager
from django.db import IntegrityError, transaction

from core.errors import ServiceUnavailable

from .invite_codes import invite_code_generate
from .phone import phone_normalize

if TYPE_CHECKING:
    from .models import User  # noqa: F401

INVITE_CODE_ATTEMPTS = 8


class UserManager(BaseUserManager["User"]):
    """Users are identified by their E.164 phone number; every new user gets an invite code."""

    use_in_migrations = True

    def _create_user(self, phone_number: str, password: str | None, **extra: Any) -> Any:
        user = self.model(phone_number=phone_normalize(phone_number), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return self.insert(user)

    def insert(self, user: Any) -> Any:
        """Insert a new user, drawing a new invite code whenever the drawn one is taken.

        The unique index decides; a collision never leaves a user without a code. Any other
        integrity error (say, a phone number registered in parallel) is raised as it is.
        """
        for _attempt in range(INVITE_CODE_ATTEMPTS):
            try:
                with transaction.atomic(using=self.db):
                    user.save(force_insert=True, using=self.db)
                return user
            except IntegrityError:
                if not self.filter(invite_code=user.invite_code).exists():
                    raise
                user.invite_code = invite_code_generate()
        raise ServiceUnavailable()

    def create_user(self, phone_number: str, password: str | None = None, **extra: Any) -> Any:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone_number, password, **extra)

    def create_superuser(self, phone_number: str, password: str | None = None, **extra: Any) -> Any:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(phone_number, password, **extra)
