"""Real services for the reliability tests: granian, Redis and PostgreSQL processes.

Every process here is started by the test that needs it and stopped by it, on a port of its
own; the machine's shared PostgreSQL and Redis are only ever used through a database and a
key prefix of our own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORTS = range(
    int(os.environ.get("RELIABILITY_PORT_FIRST", "18400")),
    int(os.environ.get("RELIABILITY_PORT_LAST", "18499")) + 1,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_SERVICES = DATABASE_URL.startswith(("postgres://", "postgresql://")) and bool(REDIS_URL)

requires_services = pytest.mark.skipif(
    not ON_SERVICES,
    reason="reliability tests run real granian servers on PostgreSQL + Redis: "
    "set DATABASE_URL=postgres://... and REDIS_URL=redis://... (the second run of .ci/run)",
)

_port_lock = threading.Lock()
_next_port = [PORTS.start]


def free_port() -> int:
    """A port in our range that nothing listens on now."""
    with _port_lock:
        for _ in range(len(PORTS)):
            port = _next_port[0]
            _next_port[0] = port + 1 if port + 1 < PORTS.stop else PORTS.start
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110  # not up yet
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def random_secret() -> str:
    return secrets.token_urlsafe(48)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_url(url: str) -> str:
    return with_database(url, "postgres")


def database_create(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_forget(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (ours alone) on the Redis at ``url``."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


class RedisServer:
    """A redis-server of our own on a spare port, that a test may stop, pause and restart."""

    def __init__(self, *options: str) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rel-redis-")
        self.options = list(options)  # more redis-server options: "--replicaof", "host port"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: redis.Redis(port=self.port).ping(), 10, "redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """The machine dies: SIGKILL, nothing flushed or handed over."""
        assert self.proc
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def pause(self) -> None:
        assert self.proc
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisSentinel:
    """A redis-sentinel of our own watching one master (its config file is its own: Sentinel
    rewrites it)."""

    def __init__(self, master: str, master_port: int, quorum: int, down_after_ms: int) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rel-sentinel-")
        self.config = os.path.join(self.dir, "sentinel.conf")
        Path(self.config).write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\n"
            f"sentinel monitor {master} 127.0.0.1 {master_port} {quorum}\n"
            f"sentinel down-after-milliseconds {master} {down_after_ms}\n"
            f"sentinel failover-timeout {master} 10000\n"
            f"sentinel parallel-syncs {master} 1\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-sentinel") or "redis-sentinel"
        self.proc = subprocess.Popen(
            [binary, self.config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: redis.Redis(port=self.port).ping(), 10, "redis-sentinel")

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    path = shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found (PostgreSQL server binaries)")
    return path


class PostgresCluster:
    """A PostgreSQL cluster of our own (initdb + pg_ctl) that a test may stop and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="rel-pg-")
        self.data = os.path.join(self.root, "data")
        self.as_postgres = os.geteuid() == 0  # postgres refuses to run as root
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *argv] if self.as_postgres else list(argv)
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = os.path.join(self.root, "log")
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def server_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server process, limits and services from overrides."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AUTH_", "SMS_", "INVITE_", "JWT_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="referral_system.settings.production",
        DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS="127.0.0.1",
        LANGUAGE_CODE="en",
        LOG_LEVEL="WARNING",
        SMS_BACKEND="users.sms.file.FileBackend",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )


def image_command() -> tuple[dict[str, str], list[str]]:
    """The Dockerfile's run stage: its GRANIAN_* variables and its CMD, so the tests serve the
    app as the image does."""
    dockerfile = (REPO / "Dockerfile").read_text()
    run_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    variables = dict(re.findall(r"(GRANIAN_[A-Z0-9_]+)=(\S+?)\s*\\?$", run_stage, re.M))
    found = re.search(r"^CMD (\[.*\])$", run_stage, re.M)
    if not (found and variables):
        raise RuntimeError("no GRANIAN_* variables or no CMD in the Dockerfile's run stage")
    return variables, json.loads(found[1])


class Server:
    """One granian instance, run as the image runs it (the production WSGI app; GRANIAN_*
    variables in ``env`` change it), on a port of its own with ``workers`` processes of
    ``threads`` blocking threads."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 1) -> None:
        variables, self.argv = image_command()
        self.env = {
            **variables,
            **env,
            "GRANIAN_HOST": "127.0.0.1",
            "GRANIAN_WORKERS": str(workers),
            "GRANIAN_BLOCKING_THREADS": str(threads),
            "PATH": f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        }
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="rel-granian-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # A process group of its own: stop() reaches the workers even if the main process
        # is gone or stuck.
        self.proc = subprocess.Popen(
            self.argv,
            cwd=REPO,
            env={**self.env, "GRANIAN_PORT": str(self.port)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            assert self.proc
            if self.proc.poll() is not None:
                raise RuntimeError(f"granian exited:\n{self.log_tail()}")
            return requests.get(self.url + "/api/profile/", timeout=2).status_code == 401

        try:
            wait_for(answers, 30, f"granian on {self.port}")
            # /api/profile/ answered from one worker: wait for the others too.
            self.wait_listening()
        except (TimeoutError, RuntimeError):
            self.stop()
            raise RuntimeError(f"granian did not start:\n{self.log_tail()}") from None
        # Every worker answers its first requests now, not in the middle of a test: a
        # keep-alive client stays with the one worker whose socket took its connection, so
        # a test's own session may never reach the others. A new connection each spreads.
        for _ in range(10 * int(self.env["GRANIAN_WORKERS"])):
            requests.get(self.url + "/api/profile/", timeout=10)

    def listening(self) -> int:
        """How many sockets listen on the port: each granian worker listens on one of its own
        (SO_REUSEPORT), from once it has loaded the app until it ends."""
        port = f":{self.port:04X}"
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        return sum(1 for row in rows if row[1].endswith(port) and row[3] == "0A")

    def wait_listening(self, timeout: float = 30) -> None:
        """Until every worker listens (a worker started again included)."""
        workers = int(self.env["GRANIAN_WORKERS"])
        wait_for(lambda: self.listening() == workers, timeout, f"{workers} workers listening")

    def worker_pids(self) -> list[int]:
        """The worker processes, oldest first."""
        assert self.proc
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        pids = [int(pid) for pid in children.split()]
        return sorted(pids, key=lambda pid: int(Path(f"/proc/{pid}/stat").read_text().split()[21]))

    def log_tail(self, lines: int = 40) -> str:
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):  # then killed, below
                self.proc.wait(15)
        if self.proc:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.log.close()
        os.unlink(self.log.name)


class Inbox:
    """The SMS messages that servers appended to one file (users.sms.file.FileBackend)."""

    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).touch()
        self._lock = threading.Lock()
        self._offset = 0
        self.messages: list[dict[str, Any]] = []

    def _read(self) -> None:
        with open(self.path, "rb") as src:
            src.seek(self._offset)
            chunk = src.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            self.messages.append(json.loads(line))

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            self._read()
            return list(self.messages)

    def count(self, phone: str | None = None) -> int:
        return sum(1 for m in self.all() if phone is None or m["phone"] == phone)

    def last_code(self, phone: str) -> str:
        """The code in the newest message to ``phone``."""
        for message in reversed(self.all()):
            if message["phone"] == phone:
                return "".join(ch for ch in message["text"] if ch.isdigit())[-6:]
        raise LookupError(f"no SMS to {phone}")


@dataclass
class Group:
    """Servers sharing one database, one Redis key prefix, one SMS file and one set of keys."""

    db_url: str
    redis_url: str
    prefix: str
    inbox: Inbox
    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)

    def add(self, workers: int = 2, threads: int = 1, **env: str) -> Server:
        server = Server({**self.env, **env}, workers=workers, threads=threads)
        server.start()
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.close()


@contextmanager
def group(db_url: str, redis_url: str, tmp: Path, **limits: str) -> Iterator[Group]:
    """A group of servers; ``limits`` are settings given to every server of the group."""
    prefix = "rel-" + secrets.token_hex(4)
    inbox = Inbox(str(tmp / f"sms-{prefix}.jsonl"))
    env = server_env(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
        SMS_FILE_PATH=inbox.path,
        SECRET_KEY=random_secret(),
        JWT_SIGNING_KEY=random_secret(),
        **limits,
    )
    grp = Group(db_url, redis_url, prefix, inbox, env)
    try:
        yield grp
    finally:
        grp.close()
        with contextlib.suppress(redis.RedisError):  # a test's own Redis, already gone
            redis_forget(redis_url, prefix)


# Limits high enough that a test's own traffic from one address never meets them.
HIGH_LIMITS = {
    "AUTH_SEND_PER_IP_HOUR": "1000000",
    "AUTH_VERIFY_PER_IP_HOUR": "1000000",
    "AUTH_CODE_SENDS_PER_PHONE_HOUR": "1000",
    "AUTH_CODE_RESEND_INTERVAL": "1",
    "SMS_DAILY_BUDGET": "1000000",
    "SMS_DAILY_BUDGET_PER_NETWORK": "1000000",
    "SMS_DAILY_BUDGET_PER_PREFIX": "1000000",
    "INVITE_FAILURES_PER_USER_HOUR": "1000000",
    "INVITE_FAILURES_PER_IP_HOUR": "1000000",
}


class PhoneBook:
    """Distinct Russian mobile numbers, different in every run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = secrets.randbelow(10**6) * 100

    def take(self) -> str:
        with self._lock:
            self._next += 1
            return f"+7999{self._next % 10**7:07d}"


phones = PhoneBook()


def random_ip() -> str:
    return ".".join(str(secrets.randbelow(254) + 1) for _ in range(4))


_local = threading.local()


def session() -> requests.Session:
    """One keep-alive HTTP session per thread."""
    sess = getattr(_local, "session", None)
    if sess is None:
        sess = _local.session = requests.Session()
    return sess


def post(base: str, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Any:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return session().post(base + path, json=body, headers=headers, timeout=30, **kw)


def get(base: str, path: str, token: str | None = None, **kw: Any) -> Any:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return session().get(base + path, headers=headers, timeout=30, **kw)


@dataclass
class Account:
    phone: str
    user_id: int
    access: str
    refresh: str
    invite_code: str = ""


def login(
    grp: Group, base: str, phone: str | None = None, verify_base: str | None = None
) -> Account:
    """Log in through the API: send a code, read it from the SMS file, verify it."""
    phone = phone or phones.take()
    sent = post(base, "/api/auth/send-code/", {"phone_number": phone})
    assert sent.status_code == 200, sent.text
    code = grp.inbox.last_code(phone)
    done = post(
        verify_base or base, "/api/auth/verify-code/", {"phone_number": phone, "auth_code": code}
    )
    assert done.status_code == 200, done.text
    body = done.json()
    return Account(phone, body["user_id"], body["access"], body["refresh"])


def with_invite_code(base: str, account: Account) -> Account:
    profile = get(base, "/api/profile/", account.access)
    assert profile.status_code == 200, profile.text
    account.invite_code = profile.json()["invite_code"]
    return account


def is_error_shape(response: Any) -> bool:
    """A JSON body with a string ``detail`` and a string ``code``, and no traceback."""
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("detail"), str)
        and isinstance(body.get("code"), str)
        and "Traceback" not in response.text
        and response.headers.get("Content-Type", "").startswith("application/json")
    )


CONSISTENCY_SQL = {
    "half_written": "SELECT count(*) FROM users_user "
    "WHERE (invited_by_id IS NULL) <> (invited_at IS NULL)",
    "count_mismatch": """
        SELECT count(*) FROM users_user u
        WHERE u.referrals_count <> (SELECT count(*) FROM users_user r WHERE r.invited_by_id = u.id)
    """,
    "without_code": "SELECT count(*) FROM users_user WHERE invite_code IS NULL OR invite_code = ''",
    "cycles": """
        WITH RECURSIVE walk(start, at, depth) AS (
            SELECT id, invited_by_id, 1 FROM users_user WHERE invited_by_id IS NOT NULL
            UNION ALL
            SELECT w.start, u.invited_by_id, w.depth + 1
            FROM walk w JOIN users_user u ON u.id = w.at
            WHERE w.at <> w.start AND u.invited_by_id IS NOT NULL AND w.depth < 100000
        )
        SELECT count(DISTINCT start) FROM walk WHERE at = start
    """,
    "self_invited": "SELECT count(*) FROM users_user WHERE invited_by_id = id",
}


def consistency(db_url: str) -> dict[str, int]:
    """Counts of every kind of broken referral data; all zero when the data is whole."""
    with psycopg.connect(db_url) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in CONSISTENCY_SQL.items()}  # type: ignore[index]


def sql_one(db_url: str, sql: str, *args: Any) -> Any:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(sql, args).fetchone()  # type: ignore[call-overload]
        return row[0] if row else None


def parallel(fn: Any, items: list[Any], threads: int) -> list[Any]:
    """``fn`` over ``items`` from ``threads`` threads; results in the order of ``items``."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def together(calls: list[Any]) -> list[Any]:
    """Run the zero-argument ``calls`` in threads released at once by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results
