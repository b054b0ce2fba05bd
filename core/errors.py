"""One error shape for the whole API: ``{"detail", "code"}`` plus ``"errors"`` for bad input.

``ApiError`` is what services raise (each app defines its own subclasses in its
``errors.py``); ``exception_handler`` is DRF's ``EXCEPTION_HANDLER`` and ``error_json`` writes
the same shape for the few answers given outside DRF (middleware, the URL resolver's errors).
"""

import logging
from typing import Any

import redis
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

WWW_AUTHENTICATE = 'Bearer realm="api"'
# Field-level codes that are specific enough to become the response's top-level code.
DOMAIN_FIELD_CODES = {"invalid_phone", "phone_region_not_allowed", "phone_not_mobile"}
# A backing service that does not answer: 503, never a 500.
UNAVAILABLE_ERRORS = (redis.RedisError, OperationalError, InterfaceError)


class ApiError(Exception):
    """An error a client can act on: an HTTP status, a stable code and a human message."""

    status_code = 400
    code = "invalid"
    default_detail: Any = gettext_lazy("Invalid request.")

    def __init__(self, detail: Any = None, **extra: Any) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.extra = extra
        super().__init__(str(self.detail))


class TooManyRequests(ApiError):
    status_code = 429
    code = "too_many_requests"
    default_detail = gettext_lazy("Too many requests. Try again later.")

    def __init__(self, retry_after: int, detail: Any = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, retry_after=self.retry_after)


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"
    default_detail = gettext_lazy("The service is temporarily unavailable. Try again later.")


class NotFound(ApiError):
    status_code = 404
    code = "not_found"
    default_detail = gettext_lazy("Not found.")


def error_body(detail: Any, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": str(detail), "code": code, **extra}


def error_json(status: int, detail: str, code: str, **extra: object) -> JsonResponse:
    """The error shape outside DRF, written as DRF's renderer writes it (compact UTF-8)."""
    return JsonResponse(
        error_body(detail, code, **extra),
        status=status,
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )


def _flatten(errors: Any) -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field": ["message", ...]}``."""
    if isinstance(errors, list):
        return {"non_field_errors": [str(e) for e in errors]}
    flat: dict[str, list[str]] = {}
    for field, messages in errors.items():
        if isinstance(messages, dict):
            for sub, sub_messages in _flatten(messages).items():
                flat[f"{field}.{sub}"] = sub_messages
        elif isinstance(messages, list):
            flat[field] = [str(m) for m in messages if not isinstance(m, dict | list)] or [
                str(messages)
            ]
        else:
            flat[field] = [str(messages)]
    return flat


def _first(nested: Any) -> Any:
    """The first leaf of DRF's nested dicts and lists of codes or messages (None if none)."""
    if isinstance(nested, dict):
        nested = list(nested.values())
    if isinstance(nested, list):
        for value in nested:
            found = _first(value)
            if found is not None and found != "":
                return found
        return None
    return nested


def validation_response(exc: exceptions.ValidationError) -> Response:
    errors = _flatten(exc.detail)
    first_code = _first(exc.get_codes())
    code = first_code if first_code in DOMAIN_FIELD_CODES else "invalid"
    field, messages = next(iter(errors.items()))
    message = messages[0] if messages else _("Invalid input.")
    detail = message if field == "non_field_errors" else f"{field}: {message}"
    return Response(error_body(detail, code, errors=errors), status=status.HTTP_400_BAD_REQUEST)


def api_error_response(exc: ApiError) -> Response:
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    if exc.status_code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return Response(
        error_body(exc.detail, exc.code, **exc.extra), status=exc.status_code, headers=headers
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error leaves in the same shape."""
    if isinstance(exc, ApiError):
        return api_error_response(exc)
    if isinstance(exc, UNAVAILABLE_ERRORS):
        logger.warning("backing service unavailable: %s", type(exc).__name__)
        return api_error_response(ServiceUnavailable())
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return api_error_response(ServiceUnavailable())
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return validation_response(exc)
    if isinstance(exc, exceptions.APIException):
        code = _first(exc.get_codes()) or "error"
        if isinstance(exc.detail, dict) and "code" in exc.detail:
            code = str(exc.detail["code"])  # simplejwt's errors carry their code in the detail
        detail = exc.detail.get("detail") if isinstance(exc.detail, dict) else None
        detail = detail if detail is not None else _first(exc.detail)
        headers = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return Response(error_body(detail, code), status=exc.status_code, headers=headers)
    return None
