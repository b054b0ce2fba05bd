"""How a browser session was made, as Django records it (``BACKEND_SESSION_KEY``)."""

from django.contrib.auth.backends import ModelBackend


class SmsCodeBackend(ModelBackend):
    """The HTML pages' logins: the code was checked by ``user_login``, so this backend never
    authenticates anything itself. A session it made never opens the admin, which wants
    the password (``referral_system.admin.AdminSite``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        return None
