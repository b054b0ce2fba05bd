"""The admin site: staff sign in with their password, never with an SMS code alone.

A browser signed in by the HTML pages (an SMS code) holds a session made by
``users.backends.SmsCodeBackend``; this site asks such a session for the password again.

Each password check is a slow hash, so it is refused before the hash when a limit is spent
(core/limits.py): attempts per client, per client network (an IPv4 /24, an IPv6 /48) and for
the whole site bound the CPU a stream of logins can take, and one such check at a time in a
process keeps a burst from taking every thread; failures per account make guessing slow.

A browser that signed in to an account gets a device cookie naming it (OWASP's "device
cookies"): its attempts at that account count only against its own small failure allowance,
so failures from elsewhere never lock the account's owner out; once that allowance is spent
(a stolen cookie) it is one more untrusted browser.
"""

import secrets
import threading
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm as BaseAdminAuthenticationForm
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.forms import UsernameField
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.client_ip import client_ip, client_network
from core.errors import ApiError
from core.limits import LimitExceeded, limits_held
from users.pages import SESSION_LOGIN
from users.phone import phone_normalize
from users.sessions import session_start

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"  # passwords

DEVICE_COOKIE = "admin_device"
DEVICE_COOKIE_AGE = 90 * 24 * 3600  # seconds; renewed at every sign-in from that browser
_DEVICE_SALT = "referral_system.admin.device"
# One password check from an untrusted browser at a time in each process: a burst the site's
# limits let through never takes every thread of a worker, the others keep serving the API.
_UNTRUSTED_CHECK = threading.Lock()


def device_cookie_value(account: str) -> str:
    """A new device cookie for ``account``: the account and a random device id, signed with
    SECRET_KEY (a client can neither forge one nor move it to another account)."""
    return signing.dumps(
        {"account": account, "device": secrets.token_urlsafe(16)}, salt=_DEVICE_SALT
    )


def trusted_device(request: HttpRequest, account: str) -> str | None:
    """The id of the request's device cookie if it is valid, unexpired and names ``account``."""
    try:
        held = signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""), salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE
        )
    except signing.BadSignature:  # none, forged, or expired
        return None
    if not isinstance(held, dict) or held.get("account") != account:
        return None
    device = held.get("device")
    return device if isinstance(device, str) else None


def admin_account(raw: object) -> str:
    """The account a login form names, as the backend will look it up: a phone number in any
    usual spelling reads as its E.164 form (as ``createsuperuser`` stores it), so every
    spelling reaches, and counts against, the one account."""
    typed = str(UsernameField().to_python(raw if isinstance(raw, str) else ""))[:64]
    try:
        return phone_normalize(typed)
    except ApiError:
        return typed


class AdminAuthenticationForm(BaseAdminAuthenticationForm):
    def clean_username(self) -> str:
        return admin_account(self.cleaned_data.get("username", ""))


class AdminSite(admin.AdminSite):
    login_form = AdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        signed_with_password = request.session.get(BACKEND_SESSION_KEY) == MODEL_BACKEND
        return super().has_permission(request) and signed_with_password

    def get_urls(self) -> list[Any]:
        from users.sms_admin import sms_prefixes  # the operator's view of SMS by prefix

        view = self.admin_view(lambda request: sms_prefixes(request, self))
        return [path("sms/prefixes/", view, name="sms_prefixes"), *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        if app_label is None:  # the index and the side bar: the views that are no model's
            url = reverse("admin:sms_prefixes", current_app=self.name)
            entry: dict[str, Any] = {"name": _("Destination prefixes"), "object_name": "SmsPrefix"}
            entry |= {"admin_url": url, "view_only": True, "perms": {"view": True}}
            apps.append({"name": _("SMS"), "app_label": "sms", "app_url": url, "models": [entry]})
        return apps

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method != "POST":
            return super().login(request, extra_context)
        # The account as the login form will look it up (spaces stripped, Unicode folded):
        # every spelling that reaches one account counts against that account's failures.
        account = admin_account(request.POST.get("username", ""))
        device = trusted_device(request, account)
        if device is not None:
            try:
                return self._login_held(request, extra_context, account, device)
            except LimitExceeded:
                pass  # this device's own allowance is spent: an untrusted browser from now on
        try:
            return self._login_held(request, extra_context, account, None)
        except LimitExceeded as exc:
            return self._limited(request, exc)

    def _login_held(
        self,
        request: HttpRequest,
        extra_context: dict[str, Any] | None,
        account: str,
        device: str | None,
    ) -> Any:
        """Django's login under the limits of a trusted ``device``, or of an untrusted browser
        (``None``); a sign-in gives its failure slot back and the browser a new device cookie."""
        if device is not None:
            checks: tuple[tuple[str, str], ...] = (("admin_login_failures_per_device", device),)
        else:
            client = client_ip(request)
            checks = (
                ("admin_login_per_ip", client),
                ("admin_login_per_network", client_network(client) or client),
                ("admin_login_failures_per_account", account),
                ("admin_login_site_minute", ""),
                ("admin_login_site_hour", ""),
            )
        with limits_held(*checks) as taken:
            if device is None and not _UNTRUSTED_CHECK.acquire(blocking=False):
                taken.refund()  # nothing was tried: no failure
                raise LimitExceeded("admin_login_busy", 1)
            try:
                response = super().login(request, extra_context)
            finally:
                if device is None:
                    _UNTRUSTED_CHECK.release()
            # Signed in as this account: no failure (staff already signed in who try another
            # account's password are not).
            if self.has_permission(request) and request.user.get_username() == account:
                taken.refund()
                # A login session like a code's: "log out everywhere", a number change or a
                # deletion end this browser's admin too (users.middleware checks it).
                session = session_start(
                    user_id=cast(int, request.user.pk),
                    user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
                    client_ip=client_ip(request),
                    lifetime=timedelta(seconds=settings.SESSION_COOKIE_AGE),
                )
                request.session[SESSION_LOGIN] = str(session.pk)
                response.set_cookie(
                    DEVICE_COOKIE,
                    device_cookie_value(account),
                    max_age=DEVICE_COOKIE_AGE,
                    path=reverse("admin:index", current_app=self.name),
                    secure=True,
                    httponly=True,
                    samesite="Strict",
                )
        return response

    def _limited(self, request: HttpRequest, exc: LimitExceeded) -> HttpResponse:
        # A small page of its own, not the login form: a stream of refusals costs little.
        response: HttpResponse = TemplateResponse(
            request,
            "admin/login_limited.html",
            {"title": _("Log in"), "error_note": exc.wait_note()},
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
