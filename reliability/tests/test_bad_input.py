"""Bad input: schemathesis against the live schema, and hostile requests, each a clean 4xx."""

import base64
import json
import os
import re
import subprocess
from pathlib import Path

import requests

from reliability.harness import (
    BIN,
    HIGH_LIMITS,
    is_error_shape,
    login,
    requires_services,
    session,
)

pytestmark = requires_services

CONFIG = Path(__file__).resolve().parent.parent / "schemathesis.toml"
EXAMPLES = os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "100")
SEED = os.environ.get("RELIABILITY_FUZZ_SEED", "1")
FULLWIDTH = "".join(chr(0xFF10 + int(d)) for d in "79991234567")
ARABIC = "".join(chr(0x0660 + int(d)) for d in "79991234567")


def test_schemathesis_finds_nothing_against_the_live_schema(group_factory, figure, tmp_path):
    grp = group_factory(**HIGH_LIMITS)
    server = grp.add(workers=2, threads=4)
    account = login(grp, server.url)
    report = tmp_path / "st.json"
    run = subprocess.run(
        [
            str(BIN / "st"),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/swagger.json",
            "--url",
            f"{server.url}/api",
            "-H",
            f"Authorization: Bearer {account.access}",
            # Log-out-everywhere, and deleting the session the list names (schemathesis links
            # the two), end the session of the one token every operation is called with: the
            # rest would see only 401s. Both are covered by tests/test_sessions.py.
            "--exclude-operation-id",
            "auth_logout_all",
            "--exclude-operation-id",
            "auth_sessions_end",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--seed",
            SEED,
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # schemathesis keeps a .schemathesis/ cache where it runs
    )
    tail = run.stdout[-6000:]
    assert run.returncode == 0, tail
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated, tail
    assert "Internal Server Error" not in server.log_text()  # no 500 was logged
    figure(
        "schemathesis",
        f"--checks all, {EXAMPLES} examples per operation, seed {SEED}: "
        f"{generated.group(1)} cases generated, {generated.group(2)} passed, 0 failures",
    )


def _alg_none(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def test_hostile_inputs_each_get_a_4xx_in_the_error_shape(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)
    server = grp.add()
    account = login(grp, server.url)
    claims = json.loads(base64.urlsafe_b64decode(account.access.split(".")[1] + "=="))
    forged = _alg_none({**claims, "user_id": str(account.user_id)})
    url = server.url
    send, verify, invite = "/api/auth/send-code/", "/api/auth/verify-code/", "/api/profile/invite/"
    refresh, profile = "/api/auth/token/refresh/", "/api/profile/"
    auth = {"Authorization": f"Bearer {account.access}"}
    json_type = {"Content-Type": "application/json"}

    def body(value: object) -> bytes:
        return json.dumps(value).encode()

    cases: list[tuple[str, str, str, bytes | None, dict[str, str]]] = [
        (
            "fullwidth digits",
            "POST",
            send,
            body({"phone_number": "+" + FULLWIDTH}),
            json_type,
        ),
        ("Arabic-Indic digits", "POST", send, body({"phone_number": "+" + ARABIC}), json_type),
        ("newline inside", "POST", send, body({"phone_number": "+7999\n1234567"}), json_type),
        ("null char", "POST", send, body({"phone_number": "+7999123\x004567"}), json_type),
        ("null value", "POST", send, body({"phone_number": None}), json_type),
        ("number value", "POST", send, body({"phone_number": 79991234567}), json_type),
        ("array value", "POST", send, body({"phone_number": ["+79991234567"]}), json_type),
        ("nested object", "POST", send, body({"phone_number": {"$gt": ""}}), json_type),
        ("array body", "POST", send, body([{"phone_number": "+79991234567"}]), json_type),
        ("string body", "POST", send, body("+79991234567"), json_type),
        ("empty body", "POST", send, b"", json_type),
        ("broken JSON", "POST", send, b'{"phone_number": "+7999', json_type),
        ("invalid UTF-8", "POST", send, b'{"phone_number": "\xff\xfe"}', json_type),
        ("deep nesting", "POST", send, b"[" * 30_000 + b"]" * 30_000, json_type),
        ("huge integer", "POST", send, b'{"phone_number": ' + b"9" * 5000 + b"}", json_type),
        ("1 MB body", "POST", send, b'{"phone_number": "' + b"1" * 1_000_000 + b'"}', json_type),
        (
            "form content type",
            "POST",
            send,
            b"phone_number=%2B79991234567",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        ("text content type", "POST", send, b"+79991234567", {"Content-Type": "text/plain"}),
        ("no content type", "POST", send, body({"phone_number": "+79991234567"}), {}),
        (
            "Unicode digits in code",
            "POST",
            verify,
            body({"phone_number": "+79991234567", "auth_code": ARABIC[:6]}),
            json_type,
        ),
        (
            "code as number",
            "POST",
            verify,
            body({"phone_number": "+79991234567", "auth_code": 123456}),
            json_type,
        ),
        (
            "code with newline",
            "POST",
            verify,
            body({"phone_number": "+79991234567", "auth_code": "12345\n"}),
            json_type,
        ),
        (
            "invite code array",
            "POST",
            invite,
            body({"invite_code": ["ABC123"]}),
            {**json_type, **auth},
        ),
        (
            "invite code Unicode",
            "POST",
            invite,
            body({"invite_code": "\uff21\uff22\uff23\uff11\uff12\uff13"}),
            {**json_type, **auth},
        ),
        (
            "invite code object",
            "POST",
            invite,
            body({"invite_code": {"a": 1}}),
            {**json_type, **auth},
        ),
        ("broken token", "GET", profile, None, {"Authorization": "Bearer abc.def.ghi"}),
        ("alg none token", "GET", profile, None, {"Authorization": f"Bearer {forged}"}),
        # (A bare valid token is taken as Bearer, as pasted into Swagger UI: not hostile.)
        ("bare broken token", "GET", profile, None, {"Authorization": "abc.def.ghi"}),
        ("scheme only", "GET", profile, None, {"Authorization": "Bearer"}),
        ("three-part header", "GET", profile, None, {"Authorization": "Bearer a b"}),
        ("refresh as access", "GET", profile, None, {"Authorization": f"Bearer {account.refresh}"}),
        ("access as refresh", "POST", refresh, body({"refresh": account.access}), json_type),
        ("alg none refresh", "POST", refresh, body({"refresh": forged}), json_type),
        ("page_size text", "GET", "/api/profile/referrals/?page_size=ten", None, auth),
        ("page_size zero", "GET", "/api/profile/referrals/?page_size=0", None, auth),
        ("forged cursor", "GET", "/api/profile/referrals/?cursor=bz0xJnA9eA%3D%3D", None, auth),
        ("unknown API path", "GET", "/api/nowhere/", None, {}),
        ("foreign Host header", "GET", profile, None, {**auth, "Host": "evil.example"}),
        ("wrong method", "DELETE", profile, None, auth),
    ]
    answers = []
    for name, method, path, data, headers in cases:
        response = session().request(method, url + path, data=data, headers=headers, timeout=30)
        answers.append((name, response.status_code))
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
        assert is_error_shape(response), (name, response.status_code, response.text[:300])
    assert "Internal Server Error" not in server.log_text()  # no 500 was logged
    assert requests.get(url + "/api/profile/", headers=auth, timeout=10).status_code == 200
    statuses = sorted({s for _, s in answers})
    figure(
        "hostile inputs",
        f"{len(cases)} hostile requests -> all 4xx in the error shape (statuses {statuses}); "
        "no 500 in the server log",
    )
