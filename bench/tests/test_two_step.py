"""The account scenarios' plumbing: the seeded pools, the two requests of a two-step scenario
and the driver that sends them, against a stand-in server on loopback."""

import json
import threading
from argparse import Namespace
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import pytest

from bench.report import Result, report
from bench.run import drive_two_step
from bench.scenarios import POOLS, SCENARIOS, Member, first_request, then_request
from bench.seed import FAMILY, Layout

BY_NAME = {s.name: s for s in SCENARIOS}


def test_the_pools_end_the_layout_and_every_referrals_count_is_true() -> None:
    layout = Layout(users=400, referrals=20, fresh=30, changers=40, leavers=50)

    pools = [layout.pool(name) for name in POOLS]
    assert [len(p) for p in pools] == [30, 40, 50]
    assert pools[0].start == layout.pools_start and pools[-1].stop == layout.users + 1
    assert all(a.stop == b.start for a, b in pairwise(pools))
    invited = Counter(layout.inviter_of(i) for i in range(1, layout.users + 1))
    assert all(layout.referrals_count(i) == invited[i] for i in range(1, layout.users + 1))
    roots = {layout.families_start + f * FAMILY for f in range(layout.families)}
    assert {layout.inviter_of(i) for i in layout.pool("leavers")} <= roots
    assert {layout.inviter_of(i) for i in (*layout.pool("fresh"), *layout.pool("changers"))} == {
        None
    }
    assert layout.inviter_of(layout.child_id(0)) == layout.families_start  # profile unchanged


def test_a_deletion_sends_its_code_without_a_token_and_deletes_with_it() -> None:
    leaver = Member(token="T", own="+79000000007")
    delete = BY_NAME["account_delete"]

    assert first_request(delete, leaver, "0000001") == ('{"phone_number": "+79000000007"}', {})
    assert then_request(delete, leaver, leaver.own, "123456") == (
        '{"auth_code": "123456"}',
        {"Authorization": "Bearer T"},
    )
    change = BY_NAME["phone_change"]
    body, headers = first_request(change, leaver, "0000001")
    assert (json.loads(body), headers) == (
        {"phone_number": "+79140000001"},
        {"Authorization": "Bearer T"},
    )


class StandIn(BaseHTTPRequestHandler):
    """Texts a code per number on the first request; the second proves it, once per token."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the driver expects
    codes: dict[str, str] = {}
    spent: set[str] = set()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = self.headers.get("Authorization", "")
        with self.lock:
            if "auth_code" not in body:
                self.codes[body["phone_number"]] = f"{len(self.codes):06d}"
                status = 200
            elif body["auth_code"] not in self.codes.values() or token in self.spent:
                status = 400
            else:
                self.spent |= {token} - {""}
                status = 204 if self.path == "/api/profile/delete/" else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    StandIn.codes, StandIn.spent = {}, set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_each_sequence_of_a_pool_scenario_is_a_user_of_its_own(
    server: ThreadingHTTPServer,
) -> None:
    args = Namespace(connections=3, port=server.server_address[1])
    pool = [Member(token=f"t{n}", own=f"+7900000{n:04d}") for n in range(7)]

    result = drive_two_step(args, BY_NAME["account_delete"], pool, 30, StandIn.codes.__getitem__)

    assert result.requests == 7
    assert result.statuses == Counter({200: 7, 204: 7})
    assert StandIn.spent == {f"Bearer t{n}" for n in range(7)}
    assert result.extra == {"http_requests": 14, "pool_ran_out": True}
    found = report({}, {s.name: result for s in SCENARIOS}, dict.fromkeys(BY_NAME, 0), {}, 1)
    assert "account_delete: unexpected statuses" not in " ".join(found["failures"])
    assert "account_delete: its pool of users ran out; seed a larger one" in found["failures"]


def test_a_login_needs_no_pool_and_runs_its_seconds(server: ThreadingHTTPServer) -> None:
    args = Namespace(connections=2, port=server.server_address[1])

    result = drive_two_step(args, BY_NAME["login"], None, 1, StandIn.codes.__getitem__)

    assert result.requests > 0 and result.seconds >= 1
    assert result.statuses == Counter({200: 2 * result.requests})
    assert "pool_ran_out" not in result.extra
    assert len(StandIn.codes) == result.requests  # a new number for each login


def test_only_a_scenarios_own_statuses_pass() -> None:
    wrong = Result(requests=1, seconds=1, statuses=Counter({200: 1, 204: 1}))
    found = report({}, {s.name: wrong for s in SCENARIOS}, dict.fromkeys(BY_NAME, 0), {}, 1)

    failing = {line.split(":")[0] for line in found["failures"]}
    assert "account_delete" not in failing  # 200 then 204
    assert {"login", "phone_change", "profile"} <= failing  # 204 is none of theirs
