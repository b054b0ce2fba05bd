"""Slow clients against a served stack: do /healthz and the profile keep answering?

Opens SLOW connections (half trickle their headers, half send whole headers and trickle a
body, one byte every TRICKLE seconds), and while they hang on, two probes ask /healthz and
the profile over fresh connections, one request after another, for SECONDS. Prints the
probes' latencies and how the slow connections ended; exits 1 if a probe failed or the p99
of either reached one second. Standard library only; every address is the one given.

    python3 .ci/slow_clients.py http://127.0.0.1:19880 ACCESS_TOKEN [--slow 50] [--seconds 15]
"""

import argparse
import http.client
import socket
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

PROBE_TIMEOUT = 5.0


def trickle(
    host: str, port: int, kind: str, stop: threading.Event, every: float, out: list
) -> None:
    """One slow client: headers or a body, a byte at a time, until stopped or cut off."""
    if kind == "headers":
        head = b""
        rest = (
            f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slow-client\r\n"
            + "".join(f"X-Slow-{i}: {'a' * 20}\r\n" for i in range(40))
            + "\r\n"
        ).encode()
    else:
        body = b'{"phone_number": "+79991234567"}' + b" " * 4000
        head = (
            f"POST /api/auth/send-code/ HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        rest = body
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        out.append((kind, f"refused ({exc.__class__.__name__})"))
        return
    try:
        sock.settimeout(every * 4 + 1)
        if head:
            sock.sendall(head)
        for byte in rest:
            if stop.wait(every):
                out.append((kind, "held to the end"))
                return
            sock.sendall(bytes([byte]))
        out.append((kind, "sent all"))
    except OSError:
        out.append((kind, "cut off by the server"))
    finally:
        sock.close()


def probe(url: str, path: str, headers: dict, until: float, out: list) -> None:
    """Asks PATH over a fresh connection, one request after another, until UNTIL."""
    parts = urlsplit(url)
    while time.monotonic() < until:
        started = time.monotonic()
        conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=PROBE_TIMEOUT
        )
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
        finally:
            conn.close()
        out.append((time.monotonic() - started, ok))
        time.sleep(0.02)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("access_token")
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--trickle", type=float, default=0.5)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    stop = threading.Event()
    ends: list = []
    slow = [
        threading.Thread(
            target=trickle,
            args=(host, port, "headers" if i % 2 == 0 else "body", stop, args.trickle, ends),
            daemon=True,
        )
        for i in range(args.slow)
    ]
    for thread in slow:
        thread.start()
    time.sleep(2)  # every slow connection is open and trickling before the probes start

    until = time.monotonic() + args.seconds
    results: dict[str, list] = {"/healthz": [], "/api/profile/": []}
    auth = {"Authorization": f"Bearer {args.access_token}"}
    probes = [
        threading.Thread(target=probe, args=(args.url, "/healthz", {}, until, results["/healthz"])),
        threading.Thread(
            target=probe, args=(args.url, "/api/profile/", auth, until, results["/api/profile/"])
        ),
    ]
    for thread in probes:
        thread.start()
    for thread in probes:
        thread.join()
    stop.set()
    for thread in slow:
        thread.join(timeout=5)

    failed = False
    print(
        f"{args.slow} slow connections ({args.slow - args.slow // 2} trickling headers, "
        f"{args.slow // 2} a body, a byte every {args.trickle} s) for {args.seconds:.0f} s:"
    )
    for path, samples in results.items():
        times = [t for t, _ in samples]
        errors = sum(1 for _, ok in samples if not ok)
        worst = p99(times)
        print(
            f"  {path:14} {len(samples):5} requests, {errors} failed or over "
            f"{PROBE_TIMEOUT:.0f} s; p50 {statistics.median(times) * 1000:7.1f} ms, "
            f"p99 {worst * 1000:7.1f} ms, max {max(times) * 1000:7.1f} ms"
        )
        failed |= errors > 0 or worst >= 1.0 or not samples
    outcomes: dict[str, int] = {}
    for kind, outcome in ends:
        key = f"{kind}: {outcome}"
        outcomes[key] = outcomes.get(key, 0) + 1
    print("  slow connections: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    print("PASS: p99 under 1 s, no failure" if not failed else "FAIL: p99 >= 1 s or failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
