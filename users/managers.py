from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager

from .phone import phone_normalize

if TYPE_CHECKING:
    from .models import User  # noqa: F401


class UserManager(BaseUserManager["User"]):
    """Users are identified by their E.164 phone number; every new user gets an invite code."""

    use_in_migrations = True

    def _create_user(self, phone_number: str, password: str | None, **extra: Any) -> Any:
        from .services import user_insert

        user = self.model(phone_number=phone_normalize(phone_number), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user_insert(user=user)
        return user

    def create_user(self, phone_number: str, password: str | None = None, **extra: Any) -> Any:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone_number, password, **extra)

    def create_superuser(self, phone_number: str, password: str | None = None, **extra: Any) -> Any:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(phone_number, password, **extra)
