"""One error shape for the whole API: ``{"detail", "code"}`` plus ``"errors"`` for bad input."""

import logging
from typing import Any

import redis
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .errors import ApiError, ServiceUnavailable, TooManyRequests

logger = logging.getLogger(__name__)

# Field-level codes that are specific enough to become the response's top-level code.
DOMAIN_FIELD_CODES = {"invalid_phone", "phone_region_not_allowed"}
WWW_AUTHENTICATE = 'Bearer realm="api"'


def error_body(detail: Any, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": str(detail), "code": code, **extra}


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


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
    elif isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
    elif isinstance(codes, str):
        return codes
    return None


def validation_response(exc: exceptions.ValidationError) -> Response:
    errors = _flatten(exc.detail)
    first_code = _first_code(exc.get_codes())
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
    if isinstance(exc, redis.RedisError | OperationalError | InterfaceError):
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
    if isinstance(exc, exceptions.Throttled):
        return api_error_response(TooManyRequests(getattr(exc, "wait", None) or 1))
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else _first_code(codes) or "error"
        detail = exc.detail if isinstance(exc.detail, str) else _first_message(exc.detail)
        headers = {}
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        return Response(error_body(detail, code), status=exc.status_code, headers=headers)
    return None


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        if "detail" in detail:
            return str(detail["detail"])
        return _first_message(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)
