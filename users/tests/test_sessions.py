"""Login sessions: one per login, rotation keeps it, reuse ends it, the list, log-outs, purge."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import LoginSession, User
from users.sessions import PURGE_BATCH

from .helpers import PHONE, assert_error, last_code, send, verify

pytestmark = [
    pytest.mark.django_db,
    # Many logins of one number in a row: the SMS limits are other tests' business.
    pytest.mark.usefixtures("_many_logins"),
]

SESSIONS = "/api/auth/sessions/"
OTHER_PHONE = "+79991112233"


@pytest.fixture
def _many_logins(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    settings.AUTH_CODE_SENDS_PER_PHONE_HOUR = 1000
    settings.AUTH_SEND_PER_IP_HOUR = 1000
    settings.AUTH_VERIFY_PER_IP_HOUR = 1000


def login(phone: str = PHONE, user_agent: str = "test-agent", ip: str = "203.0.113.77") -> dict:
    api = APIClient()
    assert send(api, phone, REMOTE_ADDR=ip).status_code == 200
    response = verify(api, last_code(phone), phone, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> str:
    return f"Bearer {access}"


def refresh(token: str):  # type: ignore[no-untyped-def]
    return APIClient().post("/api/auth/token/refresh/", {"refresh": token}, format="json")


def logout(token: str):  # type: ignore[no-untyped-def]
    return APIClient().post("/api/auth/logout/", {"refresh": token}, format="json")


def sessions(access: str):  # type: ignore[no-untyped-def]
    return APIClient().get(SESSIONS, HTTP_AUTHORIZATION=bearer(access))


def profile_status(access: str) -> int:
    return APIClient().get("/api/profile/", HTTP_AUTHORIZATION=bearer(access)).status_code


def spent_long_ago(token: str) -> None:
    """As if ``token``'s session had last rotated an hour ago (past any grace window)."""
    sid = RefreshToken(token)["sid"]  # type: ignore[arg-type]
    LoginSession.objects.filter(pk=sid).update(refreshed_at=timezone.now() - timedelta(hours=1))


def test_a_login_starts_a_session_that_the_list_shows() -> None:
    tokens = login(user_agent="Mozilla/5.0 \x00(X11)\n  Firefox/140.0" + "x" * 300)
    response = sessions(tokens["access"])
    assert response.status_code == 200
    [row] = response.json()
    assert set(row) == {"id", "created_at", "last_used_at", "user_agent", "ip", "current"}
    assert row["current"] is True
    assert row["ip"] == "203.0.113.0/24"  # the network, never the address
    assert row["user_agent"].startswith("Mozilla/5.0 (X11) Firefox/140.0xxx")
    assert len(row["user_agent"]) == 200
    sid = AccessToken(tokens["access"])["sid"]  # type: ignore[arg-type]
    assert row["id"] == sid == RefreshToken(tokens["refresh"])["sid"]  # type: ignore[arg-type]


def test_ipv6_clients_are_stored_by_their_48() -> None:
    tokens = login(ip="2001:db8:abcd:12:1:2:3:4")
    assert sessions(tokens["access"]).json()[0]["ip"] == "2001:db8:abcd::/48"


def test_rotation_keeps_the_session_and_moves_last_used_at() -> None:
    tokens = login()
    before = sessions(tokens["access"]).json()[0]
    new = refresh(tokens["refresh"]).json()
    assert AccessToken(new["access"])["sid"] == before["id"]  # type: ignore[arg-type]
    [after] = sessions(new["access"]).json()
    assert after["id"] == before["id"] and after["created_at"] == before["created_at"]
    assert after["last_used_at"] > before["last_used_at"]
    assert profile_status(tokens["access"]) == 200  # the old access token lives on: same session


def test_reuse_within_the_grace_window_gets_the_very_same_pair() -> None:
    tokens = login()
    new = refresh(tokens["refresh"]).json()
    again = refresh(tokens["refresh"])  # a second tab, or a retry after a lost answer
    assert again.status_code == 200
    assert again.json() == new  # one chain, byte for byte
    assert profile_status(new["access"]) == 200
    assert refresh(new["refresh"]).status_code == 200


def test_after_the_window_the_next_divergence_ends_the_session() -> None:
    """A thief who rotated a stolen token shares the owner's chain within the window; once
    it has passed, whoever comes back with the replaced token ends the session."""
    owner = login()
    thief = refresh(owner["refresh"]).json()
    assert refresh(owner["refresh"]).json() == thief  # within the window: one chain
    spent_long_ago(owner["refresh"])
    assert_error(refresh(owner["refresh"]), 401, "token_not_valid")
    assert_error(refresh(thief["refresh"]), 401, "token_not_valid")
    assert profile_status(thief["access"]) == 401


def test_reuse_after_the_grace_window_ends_the_whole_session() -> None:
    victim = login()
    other = login(OTHER_PHONE)  # someone else's session is not touched
    thief = refresh(victim["refresh"]).json()
    thief = refresh(thief["refresh"]).json()  # the thief's chain goes on
    spent_long_ago(victim["refresh"])
    assert_error(refresh(victim["refresh"]), 401, "token_not_valid")
    assert_error(refresh(thief["refresh"]), 401, "token_not_valid")
    assert profile_status(thief["access"]) == 401
    assert profile_status(victim["access"]) == 401
    assert profile_status(other["access"]) == 200
    assert LoginSession.objects.count() == 1


@override_settings(JWT_REFRESH_REUSE_GRACE=0)
def test_with_no_grace_window_any_reuse_ends_the_session() -> None:
    tokens = login()
    new = refresh(tokens["refresh"]).json()
    # At once: with the default window this reuse would get the same pair (test above).
    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert profile_status(new["access"]) == 401


def test_logout_ends_the_session_and_its_access_tokens() -> None:
    tokens = login()
    kept = login()  # another device of the same user
    assert logout(tokens["refresh"]).status_code == 204
    assert profile_status(tokens["access"]) == 401
    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert logout(tokens["refresh"]).status_code == 204
    assert profile_status(kept["access"]) == 200
    assert [s["current"] for s in sessions(kept["access"]).json()] == [True]


def test_ending_one_session_by_id() -> None:
    phone_one, phone_two = login(user_agent="phone one"), login(user_agent="phone two")
    listed = sessions(phone_two["access"]).json()
    assert [s["user_agent"] for s in listed] == ["phone two", "phone one"]  # newest first
    assert [s["current"] for s in listed] == [True, False]
    # The mark follows the caller's own session, not the newest.
    assert [s["current"] for s in sessions(phone_one["access"]).json()] == [False, True]
    api = APIClient()
    url = f"{SESSIONS}{listed[1]['id']}/"
    assert api.delete(url, HTTP_AUTHORIZATION=bearer(phone_two["access"])).status_code == 204
    assert profile_status(phone_one["access"]) == 401
    assert_error(refresh(phone_one["refresh"]), 401, "token_not_valid")
    assert profile_status(phone_two["access"]) == 200
    assert_error(
        api.delete(url, HTTP_AUTHORIZATION=bearer(phone_two["access"])), 404, "session_not_found"
    )


def test_someone_elses_or_an_unknown_session_is_404() -> None:
    mine, theirs = login(), login(OTHER_PHONE)
    their_id = sessions(theirs["access"]).json()[0]["id"]
    api = APIClient()
    for session_id in [their_id, str(uuid.uuid4())]:
        response = api.delete(f"{SESSIONS}{session_id}/", HTTP_AUTHORIZATION=bearer(mine["access"]))
        assert_error(response, 404, "session_not_found")
    assert_error(
        api.delete(f"{SESSIONS}1/", HTTP_AUTHORIZATION=bearer(mine["access"])), 404, "not_found"
    )
    assert profile_status(theirs["access"]) == 200
    assert_error(api.delete(f"{SESSIONS}{their_id}/"), 401, "not_authenticated")
    assert_error(api.get(SESSIONS), 401, "not_authenticated")
    assert_error(api.post("/api/auth/logout-all/"), 401, "not_authenticated")


def test_ending_ones_own_session_by_id_logs_out() -> None:
    tokens = login()
    sid = sessions(tokens["access"]).json()[0]["id"]
    assert (
        APIClient()
        .delete(f"{SESSIONS}{sid}/", HTTP_AUTHORIZATION=bearer(tokens["access"]))
        .status_code
        == 204
    )
    assert_error(sessions(tokens["access"]), 401, "token_not_valid")


def test_logout_all_ends_every_session_of_the_user_only() -> None:
    devices = [login() for _ in range(3)]
    other = login(OTHER_PHONE)
    rotated = refresh(devices[0]["refresh"]).json()
    api = APIClient()
    assert (
        api.post(
            "/api/auth/logout-all/", HTTP_AUTHORIZATION=bearer(devices[1]["access"])
        ).status_code
        == 204
    )
    for tokens in [*devices, rotated]:
        assert profile_status(tokens["access"]) == 401
        assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert profile_status(other["access"]) == 200
    assert LoginSession.objects.count() == 1


def test_deactivating_the_user_in_the_admin_ends_their_sessions() -> None:
    tokens = login()
    page = Client()
    page.post("/", {"phone_number": PHONE})
    page.post("/code/", {"auth_code": last_code(PHONE)})
    assert page.get("/profile/").status_code == 200
    User.objects.create_superuser(phone_number="+79990000077", password="a-long-password-123")
    admin = Client()
    admin.post(
        "/admin/login/?next=/admin/",
        {"username": "+79990000077", "password": "a-long-password-123"},
    )
    user = User.objects.get(phone_number=PHONE)
    change = admin.post(
        f"/admin/users/user/{user.pk}/change/",
        {"phone_number": PHONE, "is_active": "", "date_joined_0": "2026-01-01"},
    )
    form = change.context["adminform"].form if change.status_code == 200 else None
    assert change.status_code == 302, form.errors if form else change
    assert_error(
        APIClient().get("/api/profile/", HTTP_AUTHORIZATION=bearer(tokens["access"])),
        401,
        "token_not_valid",
    )
    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert page.get("/profile/").status_code == 302  # the browser is signed out too
    assert not LoginSession.objects.filter(user=user).exists()


@override_settings(AUTH_SESSIONS_PER_USER=3)
def test_a_login_beyond_the_cap_ends_the_least_recently_used_session() -> None:
    first, second, third = login(), login(), login()
    refresh(first["refresh"])  # the first is now used more recently than the second
    fourth = login()
    assert len(sessions(fourth["access"]).json()) == 3
    assert profile_status(second["access"]) == 401
    assert profile_status(third["access"]) == 200


def _expired_rows(user: User, count: int) -> None:
    past = timezone.now() - timedelta(days=1)
    LoginSession.objects.bulk_create(
        LoginSession(user=user, created_at=past, last_used_at=past, expires_at=past)
        for _ in range(count)
    )


@override_settings(AUTH_SESSIONS_PER_USER=1000)
def test_expired_sessions_are_purged_by_logins_and_rotations() -> None:
    """No cron: each login and each rotation deletes up to a batch of expired rows, so the
    expired rows never outnumber one batch for long (storage stays bounded)."""
    owner = User.objects.create_user(phone_number=OTHER_PHONE)
    _expired_rows(owner, 2 * PURGE_BATCH + 50)
    tokens = login()
    assert LoginSession.objects.filter(expires_at__lt=timezone.now()).count() == PURGE_BATCH + 50
    tokens = refresh(tokens["refresh"]).json()
    tokens = refresh(tokens["refresh"]).json()
    assert LoginSession.objects.count() == 1

    # A steady stream: every round, a batch of sessions expires while users log in and
    # refresh once each. The table holds the live rows and at most one batch more.
    for _ in range(5):
        _expired_rows(owner, PURGE_BATCH)
        tokens = login()
        tokens = refresh(tokens["refresh"]).json()
        assert LoginSession.objects.filter(expires_at__lt=timezone.now()).count() == 0


def test_expired_browser_sessions_are_purged_by_logins_too() -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    for _ in range(PURGE_BATCH + 5):  # as left by visitors who followed an invite link
        store = SessionStore()
        store["invite_offer"] = "D50MJF"
        store.set_expiry(timezone.now() - timedelta(days=1))
        store.create()
    live = SessionStore()
    live["invite_offer"] = "D50MJF"
    live.create()
    login()
    assert Session.objects.count() == 5 + 1
    assert Session.objects.filter(pk=live.session_key).exists()


def test_tokens_without_a_session_open_nothing(user) -> None:
    sessionless = RefreshToken.for_user(user)  # simplejwt's own: no "sid" claim
    assert_error(
        APIClient().get("/api/profile/", HTTP_AUTHORIZATION=bearer(str(sessionless.access_token))),
        401,
        "token_not_valid",
    )
    assert_error(refresh(str(sessionless)), 401, "token_not_valid")
    assert_error(logout(str(sessionless)), 401, "token_not_valid")
    assert not LoginSession.objects.exists()


def test_a_disabled_users_refresh_token_ends_nothing_and_is_refused(user) -> None:
    from users.tokens import token_pair_issue

    tokens = token_pair_issue(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_error(refresh(tokens["refresh"]), 401, "token_not_valid")
    assert LoginSession.objects.filter(user=user).exists()


def test_last_used_at_follows_api_use_within_minutes_without_a_write_per_request(
    django_assert_max_num_queries,
) -> None:
    tokens = login()
    sid = AccessToken(tokens["access"])["sid"]  # type: ignore[arg-type]
    long_ago = timezone.now() - timedelta(minutes=30)
    LoginSession.objects.filter(pk=sid).update(last_used_at=long_ago)
    assert profile_status(tokens["access"]) == 200
    used = LoginSession.objects.get(pk=sid).last_used_at
    assert timezone.now() - used < timedelta(minutes=1)
    with django_assert_max_num_queries(3):  # the profile's reads only: no write this time
        assert profile_status(tokens["access"]) == 200
    assert LoginSession.objects.get(pk=sid).last_used_at == used
