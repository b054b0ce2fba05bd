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


def wsgi_environ(method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
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


def wsgi_call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, *a: status.append(s)))
    return status[0], body


def _post(app: Any, path: str, data: dict[str, str]) -> dict[str, Any]:
    status, body = wsgi_call(app, wsgi_environ("POST", path, json.dumps(data).encode()))
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
    profile = wsgi_environ("GET", "/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access}")

    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        status, _ = wsgi_call(app, dict(profile))
    assert status.startswith("200"), status

    for _ in range(300):  # warm up: connections, serializers
        wsgi_call(app, dict(profile))
    best = float("inf")
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            wsgi_call(app, dict(profile))
        best = min(best, (time.process_time() - started) / args.requests)
    print(f"profile: {best * 1e6:.0f} us CPU per request in process (best of {args.rounds} x ")
    print(f"  {args.requests}); {len(statements)} SQL statement(s) per request:")
    for sql in statements:
        print("   ", " ".join(sql.split())[:200])
    _redis_probe(args)
    _join_probe(args, access)


def _join_probe(args: argparse.Namespace, access: str) -> None:
    """The authentication's statement with and without the join on the session, alternated
    in one process: what the join itself costs (client CPU and wall per statement)."""
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from users.models import LoginSession, User
    from users.tokens import token_owner

    user_id, session_id = token_owner(AccessToken(access))  # type: ignore[arg-type]
    fields = "id, password, phone_number, invite_code, invited_by_id, invited_at, "
    fields += "referrals_count, is_active, date_joined"
    plain = f"SELECT {fields} FROM {User._meta.db_table} WHERE id = %s"  # noqa: S608
    joined = (
        f"SELECT {', '.join('u.' + f for f in fields.split(', '))} "  # noqa: S608
        f"FROM {User._meta.db_table} u JOIN {LoginSession._meta.db_table} s "
        "ON s.user_id = u.id WHERE s.id = %s AND u.id = %s"
    )
    best: dict[str, list[float]] = {"plain": [1e9, 1e9], "joined": [1e9, 1e9]}
    with connection.cursor() as cursor:
        cases: list[tuple[str, str, list[Any]]] = [
            ("plain", plain, [user_id]),
            ("joined", joined, [session_id, user_id]),
        ]
        for _ in range(args.rounds * 2):
            for name, sql, params in cases:
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(args.requests):
                    cursor.execute(sql, params)
                    cursor.fetchone()
                cpu = (time.process_time() - cpu) / args.requests
                wall = (time.perf_counter() - wall) / args.requests
                best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]
    for name, (cpu, wall) in best.items():
        print(f"user read, {name}: {cpu * 1e6:.0f} us CPU, {wall * 1e6:.0f} us wall per statement")


def _redis_probe(args: argparse.Namespace) -> None:
    """What the other way to check a session would add: one Redis round trip per request
    (an EXISTS on a key per session), CPU in this process and wall time."""
    from django.core.cache import cache

    client = cache.client.get_client()  # type: ignore[attr-defined]
    key = "bench:session:probe"
    client.set(key, 1)
    best_cpu = best_wall = float("inf")
    for _ in range(args.rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            client.exists(key)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / args.requests)
        best_wall = min(best_wall, (time.perf_counter() - wall) / args.requests)
    client.delete(key)
    print(
        f"one Redis EXISTS per request instead: +{best_cpu * 1e6:.0f} us CPU, "
        f"+{best_wall * 1e6:.0f} us wall"
    )


if __name__ == "__main__":
    main()
