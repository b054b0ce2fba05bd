from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
        from .sms import checks as sms_checks  # noqa: F401
