"""Development: loopback is exempt from per-IP limits, and a 429 names its limit."""

from django.test import override_settings

from users.tests.helpers import assert_error, send, verify


@override_settings(LIMITS_EXEMPT_LOOPBACK=True, AUTH_SEND_PER_IP_HOUR=1, AUTH_VERIFY_PER_IP_HOUR=1)
def test_loopback_is_not_counted_per_ip_in_development(api) -> None:
    for n in range(3):
        assert send(api, f"+7999000000{n}").status_code == 200
        assert_error(verify(api, "000000", phone=f"+7999000000{n}"), 400, "invalid_code")
    assert send(api, "+79990000009", REMOTE_ADDR="5.5.5.5").status_code == 200
    assert_error(send(api, "+79990000008", REMOTE_ADDR="5.5.5.5"), 429, "too_many_requests")


@override_settings(DEBUG=True)
def test_a_429_in_development_names_its_limit(api) -> None:
    send(api)
    body = assert_error(send(api), 429, "too_many_requests")
    assert body["limit"] == "send_cooldown"
    assert body["retry_after"] > 0


def test_a_429_in_production_does_not(api) -> None:
    send(api)
    assert "limit" not in assert_error(send(api), 429, "too_many_requests")
