"""What a run found: one row per scenario and per server, the targets, the failures; the JSON
written to bench/results/ and the tables printed."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import redis

from bench.scenarios import FLOOR, PROFILE, SCENARIOS, TARGETS, Rows, server_command


@dataclass
class Result:
    """One scenario's load: requests over seconds, latency percentiles, every status seen."""

    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds, per kind of process
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def report(
    run: dict[str, Any],
    results: dict[str, Result],
    queries: dict[str, int],
    compared: dict[str, Result],
    port: int,
) -> dict[str, Any]:
    """The JSON of bench/results/latest.json, less its ``machine``: rows, targets, failures.
    ``ratio_to_floor`` is against this run's floor."""
    floor_rps = results[FLOOR.name].rps
    rows = {s.name: row(results[s.name], queries[s.name], floor_rps) for s in SCENARIOS}
    server_rows = {name: row(r, None, floor_rps) for name, r in compared.items()}
    every = rows | {f"server {name}": r for name, r in server_rows.items()}
    goals = {}
    for t in TARGETS:
        value = t.value(every)
        goals[t.name] = {"value": round(value, 3), "target": t.goal, "met": t.met(value, t.goal)}
    ok = {s.name: s.ok + (s.then.ok if s.then else ()) for s in SCENARIOS}
    ok |= {f"server {name}": PROFILE.ok for name in compared}
    failures = []
    for name, r in every.items():  # any status a scenario does not expect: every 5xx
        if wrong := {k: n for k, n in r["statuses"].items() if int(k) not in ok[name]}:
            failures.append(f"{name}: unexpected statuses {wrong}")
        if r["socket_errors"]:
            failures.append(f"{name}: {r['socket_errors']} socket errors or timeouts")
        if r.get("pool_ran_out"):  # its last seconds ran on fewer connections
            failures.append(f"{name}: its pool of users ran out; seed a larger one")
    return {
        "run": run,
        "scenarios": rows,
        "servers_on_profile": {
            "results": server_rows,
            "fastest": max(server_rows, key=lambda n: server_rows[n]["rps"], default=None),
            "commands": {name: server_command(name, port) for name in server_rows},
        },
        "targets": goals,
        "failures": failures,
    }


def row(r: Result, queries: int | None, floor_rps: float) -> dict[str, Any]:
    def count(low: int, high: int) -> int:
        return sum(n for status, n in r.statuses.items() if low <= status <= high)

    return {
        "rps": round(r.rps, 1),
        "p50_ms": round(r.p50_ms, 2),
        "p99_ms": round(r.p99_ms, 2),
        "non_2xx": r.statuses.total() - count(200, 299),
        "queries_per_request": queries,
        "ratio_to_floor": round(r.rps / floor_rps, 3) if floor_rps else None,
        "requests": r.requests,
        "s4xx": count(400, 499),
        "s5xx": count(500, 599),
        "socket_errors": r.socket_errors,
        "statuses": {str(status): n for status, n in sorted(r.statuses.items())},
        **({"cpu_us_per_request": cpu_per_request(r)} if r.cpu_s else {}),
        **r.extra,
    }


def cpu_per_request(r: Result) -> dict[str, float]:
    """What the server, PostgreSQL, Redis and wrk spent per request under load, in us."""
    return {kind: round(s / r.requests * 1e6, 1) for kind, s in r.cpu_s.items() if r.requests}


def machine(args: argparse.Namespace) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    with psycopg.connect(f"{args.pg}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()
    wrk = subprocess.run(
        [shutil.which("wrk") or "wrk", "--version"], capture_output=True, text=True, check=False
    )
    return {
        "cpu": next((x.split(":")[1].strip() for x in cpuinfo if x.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgres": pg[0] if pg else "?",
        "redis": redis.Redis.from_url(args.redis).info("server")["redis_version"],
        "wrk": wrk.stdout.split("[")[0].strip(),
        **{name: version(name) for name in ("django", "granian")},
    }


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


COLUMNS = (  # title, key in the row, format
    ("req/s", "rps", ".1f"),
    ("p50 ms", "p50_ms", ".2f"),
    ("p99 ms", "p99_ms", ".2f"),
    ("non-2xx", "non_2xx", ""),
    ("queries", "queries_per_request", ""),
    ("x floor", "ratio_to_floor", ".2f"),
    ("cpu ms", "cpu_ms_in_process", ".2f"),
)


def table(rows: Rows, first: str = "scenario") -> str:
    head = f"{first:<16}" + "".join(f"{title:>9}" for title, _, _ in COLUMNS)
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        cells = ("" if r.get(key) is None else format(r[key], spec) for _, key, spec in COLUMNS)
        lines.append(f"{name:<16}" + "".join(f"{cell:>9}" for cell in cells))
    return "\n".join(lines)


def summary(report: dict[str, Any]) -> str:
    """The tables printed at the end of a run."""
    run, servers = report["run"], report["servers_on_profile"]
    lines = ["", table(report["scenarios"])]
    lines += ["", "CPU per request under load, us: server / PostgreSQL / Redis / wrk"]
    for name, r in report["scenarios"].items():
        if cpu := r.get("cpu_us_per_request"):
            kinds = ("server", "postgres", "redis", "wrk")
            lines.append(f"  {name:<16}" + " / ".join(f"{cpu.get(k, 0):.0f}" for k in kinds))
    if servers["results"]:
        lines += ["", "profile scenario by server", table(servers["results"], "server")]
        lines.append(f"fastest: {servers['fastest']}")
    lines += ["", "targets"]
    for name, goal in report["targets"].items():
        lines.append(f"  {'met    ' if goal['met'] else 'NOT met'}  {name}: {goal['value']}")
    lines.append(
        f"\nfloor: GET {run['floor_path']}; {run['connections']} connections, "
        f"{run['duration_s']} s per scenario; server {run['server']}; load average "
        f"before/after: {run['load_average_before']} / {run['load_average_after']}"
    )
    if report["failures"]:
        lines.append("\nFAILED:\n  " + "\n  ".join(report["failures"]))
    return "\n".join(lines)
