"""Slow clients straight at granian, run as the image runs it (the Dockerfile's ENV and CMD).

granian reads headers with a timeout (GRANIAN_HTTP1_HEADER_READ_TIMEOUT, 5 s in the image,
30 s by default): a client trickling its headers is cut off. It has no body timeout: bodies
trickled straight at it hold its threads, which is why the compose stack serves through nginx
(.ci/docker.sh proves the stack with 50 slow clients).
"""

import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from reliability import harness


@pytest.fixture
def granian(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    variables, cmd = harness.image_command()
    port = harness.free_port()
    env = harness.server_env(
        **{**variables, "GRANIAN_HOST": "127.0.0.1", "GRANIAN_PORT": str(port)},
        SECRET_KEY=harness.random_secret(),
        JWT_SIGNING_KEY=harness.random_secret(),
        PATH=f"{harness.BIN}:/usr/bin:/bin",
        SMS_FILE_PATH=str(tmp_path / "sms.jsonl"),
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    log = (tmp_path / "granian.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=harness.REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        harness.wait_for(
            lambda: requests.get(url + "/healthz", timeout=2).status_code == 200, 30, "granian"
        )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def held_for(url: str, limit: float) -> float:
    """Seconds until the server drops a client sending one header byte every 0.25 s."""
    host, port = url.removeprefix("http://").split(":")
    text = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 400
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=2) as sock:
        for byte in text:
            if time.monotonic() - started > limit:
                return time.monotonic() - started
            try:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.25)
                sock.recv(1024)  # an answer (408) or the end: either way, dropped
                return time.monotonic() - started
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - started
    return time.monotonic() - started


def test_granian_drops_a_client_trickling_its_headers_within_10_s(
    granian: str, figure: Callable[[str, str], None]
) -> None:
    """Within 10 s, as nginx in front does (granian's own default would hold it for 30 s)."""
    variables, _ = harness.image_command()
    setting = variables.get("GRANIAN_HTTP1_HEADER_READ_TIMEOUT")
    configured = f"{setting} ms" if setting else "unset, granian's default: 30 s"
    held = held_for(granian, limit=12)
    figure(
        "slow headers, granian as the image runs it",
        f"a client trickling its headers was dropped after {held:.1f} s "
        f"(GRANIAN_HTTP1_HEADER_READ_TIMEOUT: {configured})",
    )
    assert held < 10
