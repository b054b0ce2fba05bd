import pytest

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/auth/send-code/": ("post", {"200", "400", "429", "503"}),
    "/api/auth/verify-code/": ("post", {"200", "400", "403", "429", "503"}),
    "/api/auth/token/refresh/": ("post", {"200", "400", "401", "503"}),
    "/api/auth/logout/": ("post", {"204", "400", "401", "503"}),
    "/api/profile/": ("get", {"200", "401", "503"}),
    "/api/profile/invite/": ("post", {"200", "400", "401", "404", "409", "429", "503"}),
    "/api/profile/referrals/": ("get", {"200", "400", "401", "404", "503"}),
}


def test_schema_documents_every_endpoint_and_its_errors(client) -> None:
    response = client.get("/swagger.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    assert schema["securityDefinitions"]["Bearer"]["in"] == "header"
    base = schema.get("basePath", "").rstrip("/")
    paths = {base + p: v for p, v in schema["paths"].items()}
    for path, (method, statuses) in ENDPOINTS.items():
        operation = paths[path][method]
        assert set(operation["responses"]) == statuses, path
        for status, documented in operation["responses"].items():
            if status != "204":
                assert "schema" in documented, (path, status)
        public = path.startswith("/api/auth/")
        assert (operation.get("security") == []) is public, path


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


def test_operations_come_in_the_order_a_person_uses_them_with_examples_that_work(
    client, api
) -> None:
    schema = client.get("/swagger.json").json()
    base = schema.get("basePath", "").rstrip("/")
    order = [base + p for p in schema["paths"]]
    assert [p for p in order if p in ENDPOINTS] == list(ENDPOINTS)
    example = schema["definitions"]["VerifyCodeInput"]["example"]
    send = schema["definitions"]["SendCodeInput"]["example"]
    # "Execute" as offered: the development test number logs in with the example code.
    assert api.post("/api/auth/send-code/", send, format="json").status_code == 200
    login = api.post("/api/auth/verify-code/", example, format="json")
    assert login.status_code == 200, login.content
    # Authorize with the bare token, as people paste it.
    profile = api.get("/api/profile/", HTTP_AUTHORIZATION=login.json()["access"])
    assert profile.status_code == 200
    assert "+79000000000" in schema["info"]["description"]
