"""Races on real threads: one code, one token pair; one refresh token, one rotation."""

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.tests.helpers import ON_REDIS, postgres_only, run_parallel
from users.tokens import token_pair_issue

from .helpers import last_code, send, verify

pytestmark = pytest.mark.django_db(transaction=True)


@postgres_only
def test_twenty_concurrent_verifies_of_the_right_code_give_one_token_pair() -> None:
    send(APIClient())
    code = last_code()
    results = run_parallel(lambda i: verify(APIClient(), code).status_code, 20)
    assert sorted(results) == [200] + [400] * 19


@postgres_only
def test_ten_concurrent_refreshes_of_one_token_make_exactly_one_pair(make_user) -> None:
    """One rotation wins; the others, within the grace window, get that very pair (two tabs,
    a retry): one chain, never ten."""
    refresh = token_pair_issue(user=make_user())["refresh"]

    def attempt(i: int) -> tuple[int, str]:
        response = APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
        return response.status_code, response.content.decode()

    results = run_parallel(attempt, 10)
    assert {status for status, _ in results} == {200}, results
    assert len({body for _, body in results}) == 1
    pair = json.loads(results[0][1])
    assert (
        APIClient()
        .post("/api/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        .status_code
        == 200
    )


def test_hundred_concurrent_sends_to_one_phone_send_one_sms(outbox) -> None:
    with override_settings(AUTH_SEND_PER_IP_HOUR=1000):
        results = run_parallel(lambda i: send(APIClient()).status_code, 100)
    assert results.count(200) == 1
    assert results.count(429) == 99
    assert len(outbox) == 1


def test_parallel_guessing_cannot_pass_the_failure_cap(outbox) -> None:
    send(APIClient())
    code = last_code()
    guesses = [f"{(int(code) + 1 + i) % 10**6:06d}" for i in range(60)]
    # A code that survives every guess here: the per-phone cap alone must hold.
    with override_settings(AUTH_VERIFY_PER_IP_HOUR=10_000, AUTH_CODE_MAX_ATTEMPTS=1000):
        results = run_parallel(lambda i: verify(APIClient(), guesses[i]).status_code, 60)
        # exactly the phone's 20 failures get an answer about the code; the rest are refused
        assert results.count(400) == 20, results
        assert results.count(429) == 40, results
        assert verify(APIClient(), code).status_code == 429


@pytest.mark.skipif(not ON_REDIS, reason="WAIT needs a Redis server (REDIS_URL)")
def test_a_login_waited_for_a_missing_replica_still_logs_in_and_says_so(caplog) -> None:
    send(APIClient())
    with override_settings(REDIS_WAIT_REPLICAS=1, REDIS_WAIT_TIMEOUT=10):
        assert verify(APIClient(), last_code()).status_code == 200
    assert "0 of 1 replicas acknowledged within 10 ms" in caplog.text
