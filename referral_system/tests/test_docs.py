import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.api_docs import EXAMPLE_NEW_PHONE, EXAMPLE_PHONE
from users.models import User
from users.tests.helpers import assert_error, sign_in

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/auth/send-code/": ("post", {"200", "400", "429", "503"}),
    "/api/auth/verify-code/": ("post", {"200", "400", "403", "429", "503"}),
    "/api/auth/token/refresh/": ("post", {"200", "400", "401", "503"}),
    "/api/auth/logout/": ("post", {"204", "400", "401", "503"}),
    "/api/auth/sessions/": ("get", {"200", "401", "503"}),
    "/api/auth/sessions/{session_id}/": ("delete", {"204", "401", "404", "503"}),
    "/api/auth/logout-all/": ("post", {"204", "401", "503"}),
    "/api/profile/": ("get", {"200", "401", "503"}),
    "/api/profile/invite/": ("post", {"200", "400", "401", "404", "409", "429", "503"}),
    "/api/profile/referrals/": ("get", {"200", "400", "401", "404", "503"}),
    "/api/profile/export/": ("get", {"200", "401", "429", "503"}),
    "/api/profile/phone/": ("post", {"200", "400", "401", "429", "503"}),
    "/api/profile/phone/confirm/": ("post", {"200", "400", "401", "409", "429", "503"}),
    "/api/profile/delete/": ("post", {"204", "400", "401", "429", "503"}),
}
PUBLIC = {
    "/api/auth/send-code/",
    "/api/auth/verify-code/",
    "/api/auth/token/refresh/",
    "/api/auth/logout/",
}
# A file to download, not a JSON body: its 200 has no schema (Swagger UI offers the file).
DOWNLOADS = {"/api/profile/export/"}


def _paths(schema: dict[str, Any]) -> dict[str, Any]:
    base = schema.get("basePath", "").rstrip("/")
    return {base + p: v for p, v in schema["paths"].items()}


def test_schema_documents_every_endpoint_and_its_errors(client) -> None:
    response = client.get("/swagger.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    assert schema["securityDefinitions"]["Bearer"]["in"] == "header"
    paths = _paths(schema)
    for path, (method, statuses) in ENDPOINTS.items():
        operation = paths[path][method]
        assert set(operation["responses"]) == statuses, path
        for status, documented in operation["responses"].items():
            if status != "204" and not (status == "200" and path in DOWNLOADS):
                assert "schema" in documented, (path, status)
        assert (operation.get("security") == []) is (path in PUBLIC), path


def test_yaml_schema_and_both_uis_render_from_local_assets(client) -> None:
    assert client.get("/swagger.yaml").status_code == 200
    for url in ("/swagger/", "/redoc/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "/static/drf-yasg/" in html
        assert "cdn" not in html.lower()
        assert "unpkg" not in html.lower()
    assert client.get("/static/drf-yasg/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_swagger_ui_hides_the_top_bar_and_its_raw_schema_url(client) -> None:
    html = client.get("/swagger/").content.decode()
    assert ".swagger-ui .topbar { display: none; }" in html  # templates/drf-yasg/swagger-ui.html
    assert '"defaultModelRendering": "example"' in html  # bodies open on their example


class Swagger:
    """Swagger UI's "Try it out" on the test client: each operation's body example as the
    schema offers it, and the token the Authorize dialog holds, pasted bare as people do."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.paths = _paths(schema)
        self.definitions = schema["definitions"]
        self.api = APIClient()

    def example(self, path: str) -> dict[str, Any]:
        (body,) = [p for p in self.paths[path]["post"]["parameters"] if p["in"] == "body"]
        example: dict[str, Any] = self.definitions[body["schema"]["$ref"].split("/")[-1]]["example"]
        return dict(example)

    def authorize(self, access: str | None) -> None:
        self.api.credentials(**({"HTTP_AUTHORIZATION": access} if access else {}))

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.api.post(path, self.example(path) if body is None else body, format="json")

    def get(self, path: str) -> Any:
        return self.api.get(path)


def test_operations_come_in_the_order_a_person_uses_them(client) -> None:
    schema = client.get("/swagger.json").json()
    order = list(_paths(schema))
    assert [p for p in order if p in ENDPOINTS] == list(ENDPOINTS)
    description = schema["info"]["description"]
    assert EXAMPLE_PHONE in description and EXAMPLE_NEW_PHONE in description


def test_the_walkthrough_in_the_description_works_step_by_step(client) -> None:
    """The steps of core.api_docs' walkthrough, in its order, each "Try it out" as offered."""
    ui = Swagger(client.get("/swagger.json").json())
    # 1-3. send-code and verify-code with their examples, then Authorize with the access token.
    assert ui.example("/api/auth/send-code/") == {"phone_number": EXAMPLE_PHONE}
    sent = ui.post("/api/auth/send-code/")
    assert sent.status_code == 200, sent.content
    login = ui.post("/api/auth/verify-code/")
    assert login.status_code == 200, login.content
    tokens = login.json()
    ui.authorize(tokens["access"])
    # 4. The profile; the invite example only shows the shape, as its field says; a code from
    # another account, signed in on the site as the field describes, activates.
    profile = ui.get("/api/profile/")
    assert profile.status_code == 200
    assert profile.json()["phone_number"] == EXAMPLE_PHONE
    assert (
        "private window"
        in ui.definitions["InviteInput"]["properties"]["invite_code"]["description"]
    )
    assert_error(ui.post("/api/profile/invite/"), 404, "invite_code_not_found")
    friend = Client()
    sign_in(friend, "+79991234567")
    friends_code = User.objects.get(phone_number="+79991234567").invite_code
    invited = ui.post("/api/profile/invite/", {"invite_code": friends_code})
    assert invited.status_code == 200, invited.content
    assert invited.json()["activated_invite_code"] == friends_code
    assert ui.get("/api/profile/referrals/").status_code == 200
    # 5. refresh: the example is a placeholder (401, as the operation says); pasted over with
    # the refresh token of the login, a new pair. The sessions list.
    assert_error(ui.post("/api/auth/token/refresh/"), 401, "token_not_valid")
    assert "PASTE" in ui.example("/api/auth/token/refresh/")["refresh"]
    rotated = ui.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200, rotated.content
    sessions = ui.get("/api/auth/sessions/")
    assert sessions.status_code == 200
    assert [s["current"] for s in sessions.json()] == [True]
    # 6. logout with the newest refresh token: the access token dies with the session; step 2
    # again and Authorize with the new access token.
    assert_error(ui.post("/api/auth/logout/"), 401, "token_not_valid")
    assert ui.post("/api/auth/logout/", {"refresh": rotated.json()["refresh"]}).status_code == 204
    assert_error(ui.get("/api/profile/"), 401, "token_not_valid")
    again = ui.post("/api/auth/verify-code/")
    assert again.status_code == 200, again.content
    ui.authorize(again.json()["access"])
    # 7. export: a file to download.
    export = ui.get("/api/profile/export/")
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment;")
    document = json.loads(b"".join(export.streaming_content))
    assert document["account"]["phone_number"] == EXAMPLE_PHONE
    # 8. The number change, both steps with their examples; the authorized token still works.
    assert ui.example("/api/profile/phone/") == {"phone_number": EXAMPLE_NEW_PHONE}
    change = ui.post("/api/profile/phone/")
    assert change.status_code == 200, change.content
    changed = ui.post("/api/profile/phone/confirm/")
    assert changed.status_code == 200, changed.content
    assert changed.json()["phone_number"] == EXAMPLE_NEW_PHONE
    assert ui.get("/api/profile/").json()["phone_number"] == EXAMPLE_NEW_PHONE
    # 9. send-code to one's own number now, then delete with the example: both numbers free.
    own = ui.post("/api/auth/send-code/", {"phone_number": EXAMPLE_NEW_PHONE})
    assert own.status_code == 200, own.content
    assert ui.post("/api/profile/delete/").status_code == 204
    assert_error(ui.get("/api/profile/"), 401, "token_not_valid")
    assert not User.objects.filter(phone_number__in=[EXAMPLE_PHONE, EXAMPLE_NEW_PHONE]).exists()
    # ... and step 1 starts afresh.
    ui.authorize(None)
    assert ui.post("/api/auth/send-code/").status_code == 200
    fresh = ui.post("/api/auth/verify-code/")
    assert fresh.status_code == 200 and fresh.json()["is_new_user"] is True
