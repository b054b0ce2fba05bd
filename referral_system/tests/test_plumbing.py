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
from referral_system.urls import handler500
from users.tests.helpers import auth_client

rf = RequestFactory()


LOOPBACK = ["127.0.0.1/32", "::1/128"]
PRIVATE = [*LOOPBACK, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]  # compose's default


@pytest.mark.parametrize(
    ("peer", "proxies", "forwarded", "expected"),
    [
        ("127.0.0.1", [], "9.9.9.9", "127.0.0.1"),  # no proxy declared: nobody's header
        ("8.8.8.8", LOOPBACK, "9.9.9.9", "8.8.8.8"),  # the peer is no proxy: a forged header
        ("127.0.0.1", LOOPBACK, "", "127.0.0.1"),
        ("127.0.0.1", LOOPBACK, "6.6.6.6, not-an-ip", "127.0.0.1"),
        ("127.0.0.1", LOOPBACK, "6.6.6.6, 5.5.5.5", "5.5.5.5"),  # 6.6.6.6: the client's say
        ("127.0.0.1", ["127.0.0.1/32", "10.0.0.0/8"], "6.6.6.6, 5.5.5.5, 10.1.2.3", "5.5.5.5"),
        # A client inside the trusted ranges (an intranet behind compose's defaults): every hop
        # is trusted, and the one furthest from us is the client, not the proxy next to us.
        ("172.18.0.5", PRIVATE, "192.168.1.50", "192.168.1.50"),
        ("172.18.0.5", PRIVATE, "10.20.30.40, 172.18.0.7", "10.20.30.40"),
        ("127.0.0.1", LOOPBACK, " 2001:db8:1:2::1 ", "2001:db8:1:2::/64"),  # a /64 is a client
        ("2001:db8:1:2:3::9", [], "", "2001:db8:1:2::/64"),
        ("::ffff:8.8.8.8", [], "", "8.8.8.8"),
    ],
)
def test_client_ip_believes_only_declared_proxies(
    peer: str, proxies: list[str], forwarded: str, expected: str
) -> None:
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=proxies):
        assert client_ip(request) == expected


def test_ipv6_clients_are_grouped_by_the_prefix_setting() -> None:
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:3::9")
    with override_settings(CLIENT_IPV6_PREFIX=48):
        assert client_ip(request) == "2001:db8:1::/48"


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
