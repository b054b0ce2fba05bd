from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"
    verbose_name = _("Users")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
        from .sms import checks as sms_checks  # noqa: F401
