"""The admin site: staff sign in with their password, never with an SMS code alone.

A browser signed in by the HTML pages (an SMS code) holds a session made by
``users.backends.SmsCodeBackend``; this site asks such a session for the password again.
Password attempts are limited per client IP (every attempt) and per account (failures),
with the project's atomic limits: guessing is slow, and hashing cannot starve the API.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.forms import UsernameField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.client_ip import client_ip
from core.limits import LimitExceeded, limits_held

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"  # passwords


class AdminSite(admin.AdminSite):
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
            entry = {"name": _("Destination prefixes"), "object_name": "SmsPrefix"}
            entry |= {"admin_url": url, "view_only": True, "perms": {"view": True}}
            apps.append({"name": _("SMS"), "app_label": "sms", "app_url": url, "models": [entry]})
        return apps

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method != "POST":
            return super().login(request, extra_context)
        # The account as the login form will look it up (spaces stripped, Unicode folded):
        # every spelling that reaches one account counts against that account's failures.
        account = str(UsernameField().to_python(request.POST.get("username", "")))[:64]
        checks = (
            ("admin_login_per_ip", client_ip(request)),
            ("admin_login_failures_per_account", account),
        )
        try:
            with limits_held(*checks) as taken:
                response = super().login(request, extra_context)
                if self.has_permission(request) and request.user.get_username() == account:
                    taken.refund()  # signed in as this account: no failure (staff already
                    # signed in who try another account's password are not)
        except LimitExceeded as exc:
            return self._limited(request, account, exc)
        return response

    def _limited(self, request: HttpRequest, account: str, exc: LimitExceeded) -> HttpResponse:
        response: HttpResponse = TemplateResponse(
            request,
            "admin/login_limited.html",
            {
                **self.each_context(request),
                "title": _("Log in"),
                "form": (self.login_form or AdminAuthenticationForm)(request),
                "error_note": exc.wait_note(),
                "username": account,
            },
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
