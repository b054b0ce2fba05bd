"""An account's life through the API: a new number, a deletion, an export, an invite at sign-up."""

import json
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.tests.helpers import limit_reset
from users.models import LoginSession, User
from users.tests.helpers import (
    PHONE,
    assert_error,
    last_code,
    login,
    send,
    verify,
    wrong,
)
from users.tokens import token_pair_issue

pytestmark = pytest.mark.django_db

NEW_PHONE = "+79995550101"


def anonymous() -> APIClient:
    client = APIClient()
    client.default_format = "json"
    return client


def bearer(access: str) -> APIClient:
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def change_send(client: APIClient, phone: str = NEW_PHONE) -> Any:
    return client.post("/api/profile/phone/", {"phone_number": phone}, format="json")


def change_confirm(client: APIClient, code: str, phone: str = NEW_PHONE) -> Any:
    return client.post(
        "/api/profile/phone/confirm/", {"phone_number": phone, "auth_code": code}, format="json"
    )


def delete(client: APIClient, code: str) -> Any:
    return client.post("/api/profile/delete/", {"auth_code": code}, format="json")


def profile(client: APIClient) -> Any:
    return client.get("/api/profile/")


def test_a_new_number_keeps_the_account_and_ends_every_other_session(api) -> None:
    first = login(api)
    other = token_pair_issue(user=User.objects.get(phone_number=PHONE))  # a second device
    inviter = token_pair_issue(user=User.objects.create_user(phone_number="+79995550999"))
    client = bearer(first["access"])
    code_of_inviter = profile(bearer(inviter["access"])).json()["invite_code"]
    assert (
        client.post(
            "/api/profile/invite/", {"invite_code": code_of_inviter}, format="json"
        ).status_code
        == 200
    )
    before = profile(client).json()

    sent = change_send(client)
    assert sent.status_code == 200, sent.content
    assert sent.json()["phone_number"] == NEW_PHONE
    answer = change_confirm(client, last_code(NEW_PHONE))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["phone_number"] == NEW_PHONE
    after = profile(bearer(body["access"])).json()
    assert after["phone_number"] == NEW_PHONE
    for kept in ("id", "invite_code", "activated_invite_code", "referrals_count"):
        assert after[kept] == before[kept]
    assert profile(client).status_code == 200  # this session goes on, old access token too
    assert_error(profile(bearer(other["access"])), 401, "token_not_valid")  # at once
    assert_error(
        anonymous().post("/api/auth/token/refresh/", {"refresh": other["refresh"]}),
        401,
        "token_not_valid",
    )
    listed = bearer(inviter["access"]).get("/api/profile/referrals/").json()["results"]
    assert [r["phone_number"] for r in listed] == [NEW_PHONE]
    limit_reset("send_cooldown", PHONE)  # a minute later
    old = login(APIClient(), PHONE)  # the old number is free: a new account
    assert old["is_new_user"] is True
    assert old["user_id"] != first["user_id"]


def test_a_number_of_another_account_is_refused_only_after_its_code(api, make_user) -> None:
    taken = make_user(NEW_PHONE)
    client = bearer(login(api)["access"])
    assert change_send(client).status_code == 200  # no free lookup of who is registered
    assert_error(change_confirm(client, wrong(last_code(NEW_PHONE))), 400, "invalid_code")
    assert change_send(client).status_code in (200, 429)
    assert_error(change_confirm(client, last_code(NEW_PHONE)), 409, "phone_taken")
    assert User.objects.get(pk=taken.pk).phone_number == NEW_PHONE


def test_a_number_change_code_opens_no_login_and_no_other_account(api) -> None:
    client = bearer(login(api)["access"])
    change_send(client)
    code = last_code(NEW_PHONE)
    assert_error(verify(APIClient(), code, NEW_PHONE), 400, "invalid_code")
    intruder = bearer(login(APIClient(), "+79995550202")["access"])
    assert_error(change_confirm(intruder, code), 400, "invalid_code")
    assert change_confirm(client, code).status_code == 200


def test_bad_number_changes_get_clear_answers(api) -> None:
    client = bearer(login(api)["access"])
    assert_error(change_send(client, PHONE), 400, "phone_unchanged")
    assert_error(change_confirm(client, "123456", PHONE), 400, "phone_unchanged")
    assert_error(change_send(client, "12"), 400, "invalid_phone")
    assert_error(client.post("/api/profile/phone/", {}, format="json"), 400, "invalid")
    assert_error(change_confirm(client, "12ab56"), 400, "invalid")
    assert_error(change_send(APIClient()), 401, "not_authenticated")


def test_a_deletion_needs_a_fresh_code_and_ends_everything(api, make_user) -> None:
    inviter = make_user("+79995550999")
    invitee_tokens = token_pair_issue(user=make_user("+79995550303"))
    tokens = token_pair_issue(user=make_user(PHONE))
    client = bearer(tokens["access"])
    assert (
        client.post(
            "/api/profile/invite/", {"invite_code": inviter.invite_code}, format="json"
        ).status_code
        == 200
    )
    invitee = bearer(invitee_tokens["access"])
    me = profile(client).json()
    assert (
        invitee.post(
            "/api/profile/invite/", {"invite_code": me["invite_code"]}, format="json"
        ).status_code
        == 200
    )

    assert_error(delete(client, "123456"), 400, "invalid_code")  # no code sent: a token alone
    assert send(api).status_code == 200
    assert delete(client, last_code()).status_code == 204

    assert not User.objects.filter(phone_number=PHONE).exists()
    assert not LoginSession.objects.filter(user_id=me["id"]).exists()
    assert_error(profile(client), 401, "token_not_valid")
    refreshed = anonymous().post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert_error(refreshed, 401, "token_not_valid")
    inviter.refresh_from_db()
    assert inviter.referrals_count == 0
    left = profile(invitee).json()  # the invitee keeps their account, without the activation
    assert left["activated_invite_code"] is None
    again_invited = invitee.post(
        "/api/profile/invite/", {"invite_code": inviter.invite_code}, format="json"
    )
    assert again_invited.status_code == 200  # free to activate another code
    limit_reset("send_cooldown", PHONE)  # a minute later
    again = login(APIClient())  # the number signs up anew
    assert again["is_new_user"] is True
    assert profile(bearer(again["access"])).json()["invite_code"] != me["invite_code"]


def test_an_export_holds_everything_about_the_account(api, make_user) -> None:
    inviter = make_user("+79995550999")
    tokens = login(api, PHONE)
    client = bearer(tokens["access"])
    client.post("/api/profile/invite/", {"invite_code": inviter.invite_code}, format="json")
    me = User.objects.get(phone_number=PHONE)
    for n in range(3):
        friend = make_user(f"+7999555041{n}")
        bearer_of_friend = bearer(token_pair_issue(user=friend)["access"])
        assert (
            bearer_of_friend.post(
                "/api/profile/invite/", {"invite_code": me.invite_code}
            ).status_code
            == 200
        )

    response = client.get("/api/profile/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    document = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert document["account"]["phone_number"] == PHONE
    assert document["account"]["invite_code"] == me.invite_code
    assert document["activated_invite"]["code"] == inviter.invite_code
    assert document["activated_invite"]["activated_at"]
    assert document["referrals_count"] == 3
    assert [r["phone_number"] for r in document["referrals"]] == [
        "+79995550412",
        "+79995550411",
        "+79995550410",
    ]
    (session,) = document["sessions"]
    assert session["current"] is True
    assert {"device", "network", "created_at", "last_active"} <= set(session)


@override_settings(EXPORT_PER_USER_HOUR=2)
def test_exports_are_limited_per_account(api) -> None:
    client = bearer(login(api)["access"])
    for _ in range(2):
        assert client.get("/api/profile/export/").status_code == 200
    refused = assert_error(client.get("/api/profile/export/"), 429, "too_many_requests")
    assert refused


def test_an_invite_at_sign_up_is_activated_in_the_same_call(api, make_user) -> None:
    inviter = make_user("+79995550999")
    assert send(api).status_code == 200
    body = {"phone_number": PHONE, "auth_code": last_code(), "invite_code": inviter.invite_code}
    answer = api.post("/api/auth/verify-code/", body, format="json").json()
    assert answer["is_new_user"] is True
    assert answer["invite"] == {"activated": True}
    assert profile(bearer(answer["access"])).json()["activated_invite_code"] == inviter.invite_code


def test_a_bad_invite_at_sign_up_still_logs_in(api) -> None:
    assert send(api).status_code == 200
    body = {"phone_number": PHONE, "auth_code": last_code(), "invite_code": "ZZZZZZ"}
    answer = api.post("/api/auth/verify-code/", body, format="json")
    assert answer.status_code == 200
    invite = answer.json()["invite"]
    assert invite["activated"] is False
    assert invite["code"] == "invite_code_not_found"
    assert invite["detail"]
    assert profile(bearer(answer.json()["access"])).status_code == 200
    plain = login(APIClient(), "+79995550505")
    assert "invite" not in plain
