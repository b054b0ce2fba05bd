"""The benchmark's verdicts: which runs fail (statuses, socket errors; never speed) and how
the targets and rows are read from the results."""

from collections import Counter

from bench.report import Result, report, summary
from bench.run import alternating, cpu_between, percentile
from bench.scenarios import SCENARIOS, SERVERS


def result(rps: float, statuses: dict[int, int] | None = None, p99_ms: float = 10.0) -> Result:
    return Result(
        requests=int(rps * 10),
        seconds=10,
        p50_ms=1.0,
        p99_ms=p99_ms,
        statuses=Counter(statuses or {200: int(rps * 10)}),
    )


def measured(**rps: float) -> dict[str, Result]:
    speeds = {"floor": 1000, "profile": 500, "profile_100k": 480, "send_code": 350} | rps
    return {s.name: result(speeds.get(s.name, 100)) for s in SCENARIOS}


QUERIES = {s.name: 2 if s.read and s.name != "floor" else 0 for s in SCENARIOS}


def test_a_fast_clean_run_meets_every_target_and_fails_nothing() -> None:
    found = report({}, measured(), QUERIES, {"granian-2x2": result(500)}, 18300)

    assert found["failures"] == []
    assert all(goal["met"] for goal in found["targets"].values()), found["targets"]
    assert found["scenarios"]["profile"]["ratio_to_floor"] == 0.5
    assert found["servers_on_profile"]["fastest"] == "granian-2x2"


def test_a_slow_run_misses_targets_but_does_not_fail() -> None:
    found = report({}, measured(profile=300, send_code=100), QUERIES, {}, 18300)

    assert found["failures"] == []
    missed = {name for name, goal in found["targets"].items() if not goal["met"]}
    assert missed == {"profile >= 40% of floor req/s", "send_code >= 30% of floor req/s"}


def test_any_5xx_or_socket_error_fails_the_run_and_is_counted() -> None:
    results = measured()
    results["send_code"] = result(350, {200: 3000, 503: 2})
    server = result(500, {200: 5000, 500: 1})
    server.socket_errors = 3

    found = report({}, results, QUERIES, {"granian-2x4": server}, 18300)

    assert found["failures"] == [
        "send_code: unexpected statuses {'503': 2}",
        "server granian-2x4: unexpected statuses {'500': 1}",
        "server granian-2x4: 3 socket errors or timeouts",
    ]
    assert found["scenarios"]["send_code"]["s5xx"] == 2
    assert found["scenarios"]["send_code"]["non_2xx"] == 2
    assert found["targets"]["zero 5xx"] == {"value": 3, "target": 0, "met": False}


def test_a_4xx_is_a_failure_too_not_only_a_5xx() -> None:
    results = measured()
    results["activate"] = result(50, {200: 400, 429: 1})

    found = report({}, results, QUERIES, {}, 18300)

    assert found["failures"] == ["activate: unexpected statuses {'429': 1}"]
    assert found["targets"]["zero 5xx"]["met"]


def test_the_summary_prints_every_scenario_target_and_failure() -> None:
    results = measured()
    results["login"] = result(30, {200: 299, 500: 1})
    run = {
        "floor_path": "/healthz",
        "connections": 16,
        "duration_s": 3,
        "server": "granian-2x2",
        "load_average_before": "1.00 1.00 1.00",
        "load_average_after": "1.00 1.00 1.00",
    }
    text = summary(report(run, results, QUERIES, {}, 18300))

    assert all(s.name in text for s in SCENARIOS)
    assert "NOT met  zero 5xx: 1" in text
    assert "FAILED:\n  login: unexpected statuses {'500': 1}" in text


def test_every_server_is_a_command_the_runner_can_start() -> None:
    assert all(command.split()[0] == "granian" for command in SERVERS.values())


def test_rounds_alternate_their_order() -> None:
    assert list(alternating(["a", "b", "c"], 3)) == ["a", "b", "c", "c", "b", "a", "a", "b", "c"]


def test_percentiles_are_nearest_rank() -> None:
    ordered = [float(n) for n in range(1, 101)]
    assert (percentile(ordered, 50), percentile(ordered, 99), percentile([], 99)) == (
        50.0,
        99.0,
        0.0,
    )


def test_cpu_under_load_is_counted_per_process_and_per_request() -> None:
    before = {("server", 10): 1.0, ("postgres", 20): 2.0, ("postgres", 21): 5.0}
    # Backend 21 closed during the scenario, backend 22 opened: 21 drops out (its last CPU is
    # unknown) instead of making PostgreSQL's figure negative; 22 counts from zero.
    after = {("server", 10): 1.5, ("postgres", 20): 2.25, ("postgres", 22): 0.05, ("redis", 1): 0.0}
    spent = cpu_between(before, after)
    assert spent == {"server": 0.5, "postgres": 0.3, "redis": 0.0}

    load = result(100)  # 1,000 requests
    load.cpu_s = {**spent, "wrk": 0.02}
    row = report({}, measured() | {"profile": load}, QUERIES, {}, 18300)["scenarios"]["profile"]
    assert row["cpu_us_per_request"] == {
        "server": 500.0,
        "postgres": 300.0,
        "redis": 0.0,
        "wrk": 20.0,
    }
    assert (
        "cpu_us_per_request" not in report({}, measured(), QUERIES, {}, 18300)["scenarios"]["floor"]
    )
