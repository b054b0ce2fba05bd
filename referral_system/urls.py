from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_yasg.views import get_schema_view
from rest_framework import permissions

from core.api_docs import API_INFO, OrderedSchemaGenerator
from core.errors import error_json
from core.middleware import is_api
from referrals import apis as referrals_apis

from . import health


class SchemaGenerator(OrderedSchemaGenerator):
    path_order = (
        "/auth/send-code/",
        "/auth/verify-code/",
        "/auth/token/refresh/",
        "/auth/logout/",
        "/auth/sessions/",
        "/auth/sessions/{session_id}/",
        "/auth/logout-all/",
        "/profile/",
        "/profile/invite/",
        "/profile/referrals/",
        "/profile/export/",
        "/profile/phone/",
        "/profile/phone/confirm/",
        "/profile/delete/",
    )


schema_view = get_schema_view(
    API_INFO,
    public=True,
    permission_classes=[permissions.AllowAny],
    generator_class=SchemaGenerator,
)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    # Signing in, with an invite to activate in the same call: a referral feature on users'.
    path("api/auth/verify-code/", referrals_apis.VerifyCodeApi.as_view(), name="auth-verify-code"),
    path("api/auth/", include("users.urls")),
    path("api/profile/", include("referrals.urls")),
    # Anything else under /api/ is a 404 in the error shape, with DEBUG on too (Django's
    # technical 404 page would answer it otherwise: handler404 is not used in DEBUG), and
    # for any method (the API takes no cookies: no CSRF page for a POST either).
    re_path(r"^api/", csrf_exempt(lambda request, *args, **kwargs: api_not_found(request))),
    re_path(
        r"^swagger(?P<format>\.json|\.yaml)$",
        schema_view.without_ui(cache_timeout=0),
        name="schema-json",
    ),
    path("swagger/", schema_view.with_ui("swagger", cache_timeout=0), name="schema-swagger-ui"),
    path("redoc/", schema_view.with_ui("redoc", cache_timeout=0), name="schema-redoc"),
    # The HTML pages and their language switcher.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("users.page_urls")),
    path("", include("referrals.page_urls")),
]


def _json_or_default(status: int, code: str, detail: Any, default):  # type: ignore[no-untyped-def]
    def handler(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if is_api(request):
            return error_json(status, str(detail), code)
        return default(request, *args, **kwargs)

    return handler


def api_not_found(request: HttpRequest) -> HttpResponse:
    return error_json(404, str(_("Not found.")), "not_found")


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    from django.views.defaults import page_not_found

    return _json_or_default(404, "not_found", _("Not found."), page_not_found)(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    from django.views.defaults import server_error

    return _json_or_default(500, "server_error", _("Internal server error."), server_error)(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A bad request caught by Django itself (say, a Host not in ALLOWED_HOSTS)."""
    from django.views.defaults import bad_request

    return _json_or_default(400, "bad_request", _("Bad request."), bad_request)(request, exception)
