"""The small pieces every request passes through: client address, error shape, middleware."""

import pytest
import redis
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, OperationalError
from django.http import Http404
from django.test import RequestFactory, override_settings
from rest_framework import exceptions

from core.client_ip import client_ip
from core.errors import exception_handler
from core.middleware import ErrorShapeMiddleware
from referral_system.testing import auth_client
from referral_system.urls import handler500

rf = RequestFactory()


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "9.9.9.9", "127.0.0.1"),
        (1, "", "127.0.0.1"),
        (2, "5.5.5.5", "127.0.0.1"),  # fewer entries than trusted proxies: do not guess
        (1, "6.6.6.6, not-an-ip", "127.0.0.1"),
        (2, "6.6.6.6, 5.5.5.5, 4.4.4.4", "5.5.5.5"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(count: int, forwarded: str, expected: str) -> None:
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (redis.ConnectionError(), 503, "service_unavailable"),
        (OperationalError("connection refused"), 503, "service_unavailable"),
        (DatabaseError("odd"), 503, "service_unavailable"),
        (exceptions.ValidationError({"a": {"b": ["deep"]}}), 400, "invalid"),
        (exceptions.ValidationError(["flat"]), 400, "invalid"),
        (exceptions.APIException({"x": ["weird detail"]}), 500, "error"),
    ],
)
def test_every_exception_leaves_in_one_shape(exc: Exception, status: int, code: str) -> None:
    response = exception_handler(exc, {})
    assert response is not None
    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str)


def test_nested_validation_errors_are_flattened() -> None:
    response = exception_handler(exceptions.ValidationError({"a": {"b": ["deep"]}}), {})
    assert response is not None
    assert response.data["errors"] == {"a.b": ["deep"]}
    assert response.data["detail"] == "a.b: deep"


def test_unknown_exceptions_are_left_to_django() -> None:
    assert exception_handler(ValueError("boom"), {}) is None


def test_middleware_answers_dead_services_and_big_bodies_outside_drf() -> None:
    def dead(request):
        raise redis.ConnectionError("down")

    middleware = ErrorShapeMiddleware(dead)
    response = middleware(rf.get("/"))
    assert response.status_code == 503
    too_big = middleware.process_exception(rf.get("/"), RequestDataTooBig())
    assert too_big is not None
    assert too_big.status_code == 413
    no_database = middleware.process_exception(rf.get("/"), OperationalError())
    assert no_database is not None
    assert no_database.status_code == 503
    assert middleware.process_exception(rf.get("/"), ValueError()) is None


def test_server_errors_on_the_api_are_json(settings) -> None:
    response = handler500(rf.get("/api/profile/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert handler500(rf.get("/")).status_code == 500


@pytest.mark.django_db
def test_tokens_of_deleted_users_are_refused(make_user) -> None:
    user = make_user()
    client = auth_client(user)
    user.delete()
    response = client.get("/api/profile/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
