"""What one profile request costs in process: CPU per request and SQL statements per request.

Calls the production WSGI application directly (no server, no network, no load generator), so
the figure is this process's own CPU time, which a busy shared machine disturbs least. Logs in
through the API itself (the file SMS backend), so it runs unchanged on any version of the code.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.session_cost

Prints the best of ``--rounds`` rounds of ``--requests`` requests each. Needs a database it
may migrate (it creates one user).
"""

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _environ(method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
    }
    environ.update(headers)
    return environ


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, *a: status.append(s)))
    return status[0], body


def _post(app: Any, path: str, data: dict[str, str]) -> dict[str, Any]:
    status, body = _call(app, _environ("POST", path, json.dumps(data).encode()))
    assert status.startswith("200"), (status, body)
    return json.loads(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    sms_file = Path(tempfile.mkdtemp()) / "sms.jsonl"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="referral_system.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),
        JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        SMS_BACKEND="users.sms.file.FileBackend",
        SMS_FILE_PATH=str(sms_file),
        AUTH_SEND_PER_IP_HOUR="1000000",
        AUTH_VERIFY_PER_IP_HOUR="1000000",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    call_command("migrate", verbosity=0)
    app = get_wsgi_application()

    phone = f"+7999{secrets.randbelow(10**7):07d}"
    _post(app, "/api/auth/send-code/", {"phone_number": phone})
    text = json.loads(sms_file.read_text().splitlines()[-1])["text"]
    code = "".join(ch for ch in text if ch.isdigit())[-6:]
    access = _post(app, "/api/auth/verify-code/", {"phone_number": phone, "auth_code": code})[
        "access"
    ]
    profile = _environ("GET", "/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access}")

    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        status, _ = _call(app, dict(profile))
    assert status.startswith("200"), status

    for _ in range(300):  # warm up: connections, the token memory, serializers
        _call(app, dict(profile))
    best = float("inf")
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            _call(app, dict(profile))
        best = min(best, (time.process_time() - started) / args.requests)
    print(f"profile: {best * 1e6:.0f} us CPU per request in process (best of {args.rounds} x ")
    print(f"  {args.requests}); {len(statements)} SQL statement(s) per request:")
    for sql in statements:
        print("   ", " ".join(sql.split())[:200])


if __name__ == "__main__":
    main()
