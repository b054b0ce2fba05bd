"""Every error in one shape; hostile input gets a clear 4xx, a dead Redis a 503."""

import pytest
from django.test import Client, override_settings

from users.sms import locmem
from users.tests.helpers import assert_error, auth_client

pytestmark = pytest.mark.django_db

SEND = "/api/auth/send-code/"
VERIFY = "/api/auth/verify-code/"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "parse_error"),
        ('"just a string"', "application/json", 400, "invalid"),
        ("[1, 2]", "application/json", 400, "invalid"),
        ("null", "application/json", 400, "invalid"),
        ('{"phone_number": ["+79991234567"]}', "application/json", 400, "invalid"),
        ('{"phone_number": {"a": 1}}', "application/json", 400, "invalid"),
        ('{"phone_number": 79991234567}', "application/json", 400, "invalid"),
        ('{"phone_number": "+7999\\u00001234567"}', "application/json", 400, "invalid_phone"),
        ('{"phone_number": "+7999\\n1234567"}', "application/json", 400, "invalid_phone"),
        (
            '{"phone_number": "+7 999 \\u0661\\u0662\\u0663-45-67"}',
            "application/json",
            400,
            "invalid_phone",
        ),
        (
            "phone_number=%2B79991234567",
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        ("<xml/>", "text/xml", 415, "unsupported_media_type"),
        ("", "application/json", 400, "invalid"),
    ],
)
def test_hostile_bodies_get_a_clear_4xx(api, body, content_type, status, code) -> None:
    response = api.generic("POST", SEND, body, content_type=content_type)
    assert_error(response, status, code)
    assert locmem.outbox == []


def test_a_megabyte_string_is_refused_before_parsing(api) -> None:
    body = '{"phone_number": "' + "7" * 1_000_000 + '"}'
    assert_error(
        api.generic("POST", SEND, body, content_type="application/json"), 413, "request_too_large"
    )


def test_a_long_field_within_the_body_limit_is_a_validation_error(api) -> None:
    body = assert_error(
        api.post(SEND, {"phone_number": "7" * 5000}, format="json"), 400, "invalid_phone"
    )
    assert "phone_number" in body["errors"]


def test_a_broken_content_length_is_a_400(api) -> None:
    response = api.generic(
        "POST", SEND, "{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400


def test_missing_fields_are_named(api) -> None:
    body = assert_error(api.post(VERIFY, {}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"phone_number", "auth_code"}


@pytest.mark.parametrize("debug", [False, True])
def test_wrong_method_and_unknown_api_path(api, settings, debug) -> None:
    settings.DEBUG = debug  # Django's technical 404 page never answers the API
    assert_error(api.get(SEND), 405, "method_not_allowed")
    strict = Client(enforce_csrf_checks=True)  # as a browser or curl sends it
    for path in ["/api/nothing-here/", "/api/auth/sessions/not-a-session/", "/api/", "/api/x"]:
        assert_error(api.get(path), 404, "not_found")
        assert_error(api.post(path, {}, format="json"), 404, "not_found")
        assert_error(strict.post(path, "{}", content_type="application/json"), 404, "not_found")
        assert_error(strict.delete(path), 404, "not_found")


def test_errors_outside_drf_are_written_as_drf_writes_them(api) -> None:
    """Compact UTF-8 JSON, whichever layer answers: the URL resolver's 404, DRF's 405."""
    import json

    with override_settings(DEBUG=False):
        for response in [
            api.get("/api/nothing-here/", HTTP_ACCEPT_LANGUAGE="ru"),
            api.get(SEND, HTTP_ACCEPT_LANGUAGE="ru"),
        ]:
            text = response.content.decode()
            assert text == json.dumps(response.json(), ensure_ascii=False, separators=(",", ":"))
            assert any("\u0430" <= ch <= "\u044f" for ch in text)  # Russian, not \u escapes


DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def dead_redis():
    with override_settings(CACHES=DEAD_REDIS):
        yield


def test_without_redis_codes_fail_closed_with_503_and_profiles_still_work(
    api, user, dead_redis
) -> None:
    assert_error(
        api.post(SEND, {"phone_number": "+79991234567"}, format="json"), 503, "service_unavailable"
    )
    assert locmem.outbox == []
    response = api.post(
        VERIFY, {"phone_number": "+79991234567", "auth_code": "123456"}, format="json"
    )
    assert_error(response, 503, "service_unavailable")
    client = auth_client(user)
    assert client.get("/api/profile/").status_code == 200
    assert_error(
        client.post("/api/profile/invite/", {"invite_code": "ABCDEF"}, format="json"),
        503,
        "service_unavailable",
    )


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_path_without_its_slash_is_a_404_in_the_error_shape(api, settings, debug) -> None:
    # Not Django's APPEND_SLASH answer: an empty 301 that a client follows with a GET (or,
    # with DEBUG on, a 500 for a POST).
    settings.DEBUG = debug
    response = api.post("/api/auth/send-code", {"phone_number": "+79991234567"}, format="json")
    assert_error(response, 404, "not_found")
    assert api.get("/swagger").status_code == 301  # pages keep it
