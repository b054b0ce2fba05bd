import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.tokens import token_pair_issue

from .helpers import assert_error, login

pytestmark = pytest.mark.django_db


def refresh(api, token):
    return api.post("/api/auth/token/refresh/", {"refresh": token}, format="json")


def logout(api, token):
    return api.post("/api/auth/logout/", {"refresh": token}, format="json")


def profile(api, access):
    return api.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access}")


def test_access_token_opens_the_profile(api) -> None:
    tokens = login(api)
    assert profile(api, tokens["access"]).status_code == 200


def test_refresh_rotates_and_the_old_token_dies(api) -> None:
    tokens = login(api)
    response = refresh(api, tokens["refresh"])
    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != tokens["refresh"]
    assert profile(api, new["access"]).status_code == 200
    assert refresh(api, tokens["refresh"]).json() == new  # within the grace window: the same
    assert refresh(api, new["refresh"]).status_code == 200
    assert_error(refresh(api, tokens["refresh"]), 401, "token_not_valid")  # two behind: dead


def test_logout_kills_the_refresh_token(api) -> None:
    tokens = login(api)
    assert logout(api, tokens["refresh"]).status_code == 204
    assert_error(refresh(api, tokens["refresh"]), 401, "token_not_valid")
    assert logout(api, tokens["refresh"]).status_code == 204  # logging out twice is harmless


def test_access_tokens_cannot_be_used_to_refresh(api) -> None:
    tokens = login(api)
    assert_error(refresh(api, tokens["access"]), 401, "token_not_valid")
    assert_error(logout(api, tokens["access"]), 401, "token_not_valid")


def test_lifetimes_are_fifteen_minutes_and_thirty_days(user) -> None:
    pair = token_pair_issue(user=user)
    access = AccessToken(pair["access"])  # type: ignore[arg-type]
    refresh_token = RefreshToken(pair["refresh"])  # type: ignore[arg-type]
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh_token["exp"] - refresh_token["iat"] == 30 * 24 * 3600


def test_tokens_are_signed_with_the_jwt_key_not_the_secret_key(user) -> None:
    access = token_pair_issue(user=user)["access"]
    assert settings.JWT_SIGNING_KEY != settings.SECRET_KEY
    assert jwt.decode(access, settings.JWT_SIGNING_KEY, algorithms=["HS256"])["user_id"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(access, settings.SECRET_KEY, algorithms=["HS256"])


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_expired_and_alg_none_tokens_get_401(api, user) -> None:
    access = token_pair_issue(user=user)["access"]
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = _b64({**claims, "user_id": str(int(claims["user_id"]) + 1)})
    alg_none = _b64({"alg": "none", "typ": "JWT"}) + "." + payload + "."
    other_key = jwt.encode(claims, "another-key-of-sufficient-length-0123456789", algorithm="HS256")
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    for bad in [f"{header}.{forged_payload}.{signature}", alg_none, other_key, str(expired), "abc"]:
        assert_error(profile(api, bad), 401, "token_not_valid")
    assert_error(api.get("/api/profile/"), 401, "not_authenticated")


def _signed(header: dict, claims: dict, key: str | None = None) -> str:
    """A token signed with HMAC-SHA256 under our key, whatever its header says."""
    import hashlib
    import hmac

    signing_input = f"{_b64(header)}.{_b64(claims)}"
    secret = (key or settings.JWT_SIGNING_KEY).encode()
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_only_our_own_access_tokens_open_the_api(api, user) -> None:
    """Each claim the check reads, made wrong one at a time, under a valid signature."""
    good = AccessToken(token_pair_issue(user=user)["access"]).payload  # type: ignore[arg-type]
    header = {"alg": "HS256", "typ": "JWT"}
    assert profile(api, _signed(header, good)).status_code == 200
    now = int(good["iat"])
    bad_claims = [
        {**good, "token_type": "refresh"},
        {k: v for k, v in good.items() if k != "jti"},
        {k: v for k, v in good.items() if k != "exp"},
        {k: v for k, v in good.items() if k != "user_id"},
        {**good, "exp": str(good["exp"])},
        {**good, "exp": True},
        {**good, "exp": now - 1},
        {**good, "iat": now + 3600},
        {**good, "nbf": now + 3600},
        {**good, "user_id": "1.0"},
        {**good, "user_id": [user.pk]},
        {**good, "user_id": "\u0661"},  # an Arabic-Indic one: a digit, but not ours
        {k: v for k, v in good.items() if k != "sid"},  # from before sessions
        {**good, "sid": good["sid"].upper()},
        {**good, "sid": "not-a-uuid"},
        {**good, "sid": 1},
    ]
    for claims in bad_claims:
        assert_error(profile(api, _signed(header, claims)), 401, "token_not_valid")
    for bad_header in [{"alg": "HS512"}, {"alg": "none"}, {}, ["HS256"]]:
        assert_error(profile(api, _signed(bad_header, good)), 401, "token_not_valid")  # type: ignore[arg-type]
    token = _signed(header, good)
    for broken in [token + ".x", token.replace(".", "", 1), token[:-2], "é" + token, "a.b.c"]:
        response = profile(api, broken)
        assert_error(response, 401, "token_not_valid")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_authorization_headers_that_are_not_one_bearer_token(api, user) -> None:
    access = AccessToken.for_user(user)
    response = api.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access} extra")
    assert_error(response, 401, "bad_authorization_header")
    for anonymous in ["Basic dXNlcjpwYXNz", "   ", f"bearer {access}"]:
        response = api.get("/api/profile/", HTTP_AUTHORIZATION=anonymous)
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_inactive_users_can_neither_refresh_nor_use_tokens(api, user) -> None:
    pair = token_pair_issue(user=user)
    user.is_active = False
    user.save()
    assert_error(refresh(api, pair["refresh"]), 401, "token_not_valid")
    assert_error(profile(api, pair["access"]), 401, "user_inactive")


def test_a_session_holds_the_same_state_however_often_it_rotates(user) -> None:
    from users.models import LoginSession
    from users.tokens import refresh_token_rotate

    pair = token_pair_issue(user=user)
    for _ in range(50):
        pair = refresh_token_rotate(raw=pair["refresh"])
    (row,) = LoginSession.objects.filter(user=user).values()
    assert len(row) == len(LoginSession._meta.concrete_fields)  # one row, fixed columns
