"""Request plumbing that must answer before (or around) any view: body size and dead services."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.middleware import common as django_common
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from .errors import UNAVAILABLE_ERRORS, error_json

logger = logging.getLogger(__name__)


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the JSON API (errors in the error shape), not a page."""
    return request.path.startswith("/api/")


class CommonMiddleware(django_common.CommonMiddleware):
    """Django's, without APPEND_SLASH's redirect on the API: a client that follows an empty
    301 turns its POST into a GET (and with DEBUG on a POST there is a 500). An API path
    without its slash is a 404 in the error shape; pages keep the redirect."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        return not is_api(request) and super().should_redirect_with_slash(request)


def too_big() -> HttpResponse:
    return error_json(413, _("The request body is too large."), "request_too_large")


class ErrorShapeMiddleware:
    """Refuses oversized bodies with 413 and turns a missing database or Redis into 503.

    Django raises ``RequestDataTooBig`` before DRF's exception handler could see it, and
    session or authentication middleware may touch the database outside any view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json(400, _("Invalid Content-Length header."), "invalid")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return too_big()
        try:
            return self.get_response(request)
        except UNAVAILABLE_ERRORS:
            return self.unavailable(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_big()
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return self.unavailable(request)
        return None

    @staticmethod
    def unavailable(request: HttpRequest) -> HttpResponse:
        """503: the error shape for the API, a page of its own for people on the HTML pages."""
        logger.warning("backing service unavailable")
        if not is_api(request) and "text/html" in request.headers.get("Accept", ""):
            try:
                page = render_to_string("503.html", {"retry_url": request.get_full_path()})
                return HttpResponse(page, status=503)
            except Exception:  # never let the error page fail the error answer
                logger.exception("the 503 page could not be rendered")
        return error_json(
            503,
            _("The service is temporarily unavailable. Try again later."),
            "service_unavailable",
        )


class PrivateResponsesMiddleware:
    """A response to a request that carries credentials (a bearer token, a session cookie),
    or that sets a cookie, is never stored by a browser or a shared cache: it may hold
    someone's profile or tokens, or hand one visitor's session to the next. It sits outside
    the session and CSRF middleware (settings.MIDDLEWARE), so it sees the cookies they set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        credentials = "HTTP_AUTHORIZATION" in request.META or (
            settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        if credentials or response.cookies or is_api(request):
            patch_cache_control(response, no_store=True, private=True)
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response
