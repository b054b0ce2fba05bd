"""A fake SMS Aero gateway on loopback, spoken to over TLS by the real smsaero client."""

import base64
import json
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

# What the gateway answers; each failure kind the provider (or the network) can produce.
REPLIES: dict[str, tuple[int, str]] = {
    "ok": (200, json.dumps({"success": True, "data": {"id": 1, "status": 0}})),
    "no_credits": (200, json.dumps({"success": False, "result": "no credits", "data": None})),
    "reject": (
        200,
        json.dumps({"success": False, "result": "reject", "reason": "PROVIDER-REJECT-REASON"}),
    ),
    "error": (200, json.dumps({"success": False, "message": "PROVIDER-ERROR-MESSAGE"})),
    "invalid_json": (200, "<html>PROVIDER-NOT-JSON</html>"),
    "http_500": (500, "PROVIDER-INTERNAL-ERROR"),
    "odd_json": (200, "[]"),  # JSON, but not what the client expects
}


@dataclass(frozen=True)
class Arrived:
    path: str
    email: str
    api_key: str
    number: int
    text: str
    sign: str


class FakeGateway:
    """Records every request that reaches it and answers in ``mode`` (a REPLIES key or slow)."""

    def __init__(self, *, tls_cert: Path | None = None, tls_key: Path | None = None) -> None:
        self.arrived: list[Arrived] = []
        self.mode = "ok"
        self.slow_seconds = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                user, _, key = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1])
                    .decode()
                    .partition(":")
                )
                gateway.arrived.append(
                    Arrived(
                        self.path,
                        unquote(user),
                        key,
                        body.get("number"),
                        body.get("text"),
                        body.get("sign"),
                    )
                )
                if gateway.slow_seconds:
                    time.sleep(gateway.slow_seconds)
                status, reply = REPLIES[gateway.mode]
                payload = reply.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that timed out and hung up is what the slow test wants

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        if tls_cert and tls_key:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url_gate(self) -> str:
        return f"@127.0.0.1:{self.port}/v2/"

    def __enter__(self) -> "FakeGateway":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made by openssl, and its key."""
    cert, key = folder / "gateway.crt", folder / "gateway.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
