"""Round 3 of attacks on sessions, against live servers: rotation as a storage attack, the
grace window as a thief's friend, a number changed in the admin under a signed-in holder."""

import re
import time

from reliability.harness import HIGH_LIMITS, get, login, phones, requires_services, sql_one
from reliability.tests.test_sessions import (
    PROFILE,
    _admin,
    admin_group,
    dead_within,
    refresh,
    refused,
)

pytestmark = requires_services

ROTATIONS = 1500


def test_rotation_keeps_one_row_however_often_it_happens(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS)
    one, two = grp.add(workers=2, threads=4), grp.add(workers=2, threads=4)
    account = login(grp, one.url)
    tables = "SELECT count(*) FROM users_loginsession"
    before = sql_one(grp.db_url, tables)
    token, started = account.refresh, time.monotonic()
    for n in range(ROTATIONS):  # one session's chain, as fast as it goes, on both instances
        response = refresh((one.url, two.url)[n % 2], token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh"]
    took = time.monotonic() - started
    assert sql_one(grp.db_url, tables) == before
    mine = "SELECT count(*) FROM users_loginsession WHERE user_id = %s"
    assert sql_one(grp.db_url, mine, account.user_id) == 1
    spent = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'users_revokedtoken'"
    assert sql_one(grp.db_url, spent) == 0  # no table of spent tokens to grow
    figure(
        "sessions: rotation storage",
        f"{ROTATIONS} rotations of one session in {took:.1f} s on 2 instances: the session "
        "table holds the same rows as before, 1 for this account",
    )


def test_inside_the_grace_window_thief_and_owner_share_one_chain(group_factory, figure):
    grp = group_factory(**HIGH_LIMITS, JWT_REFRESH_REUSE_GRACE="2")
    one, two = grp.add(), grp.add()
    owner = login(grp, one.url)
    # The thief rotates a stolen copy; the owner's app refreshes with its copy a moment later.
    thief = refresh(two.url, owner.refresh).json()
    time.sleep(0.5)
    owners = refresh(one.url, owner.refresh)
    assert owners.status_code == 200, owners.text  # the owner is not logged out ...
    assert owners.json() == thief  # ... and holds the very chain the thief holds
    # The thief rotates on; past the window, the owner's app comes back with what it holds:
    # the divergence ends the session, for both.
    ahead = refresh(two.url, thief["refresh"]).json()
    time.sleep(2.5)
    late = refresh(one.url, owners.json()["refresh"])
    assert late.status_code == 401 and late.json()["code"] == "token_not_valid"
    waited = dead_within(lambda: refused(two.url, ahead["access"]))
    assert refresh(two.url, ahead["refresh"]).status_code == 401
    figure(
        "sessions: grace window",
        "thief rotates a stolen token, owner refreshes 0.5 s later: 200 with the thief's very "
        "pair; past the 2 s window the owner's stale token: 401, and the thief's newer access "
        f"token refused ({'at the first request' if waited == 1 else f'{waited} tries'})",
    )


def test_a_number_changed_in_the_admin_ends_the_old_holders_sessions(
    group_factory, figure, tmp_path
):
    grp = admin_group(group_factory, tmp_path)
    one, two = grp.add(), grp.add()
    holder = login(grp, one.url)
    other_device = login(grp, two.url, holder.phone)
    admin = _admin(grp, one.url, phones.take(), "a-long-staff-password-0123")
    change = f"{one.url}/admin/users/user/{holder.user_id}/change/"
    form = admin.get(change, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token
    new_number = phones.take()
    saved = admin.post(
        change,
        data={"csrfmiddlewaretoken": token[1], "phone_number": new_number, "is_active": "on"},
        allow_redirects=False,
        timeout=30,
    )
    assert saved.status_code == 302, saved.text[:2000]
    waited = max(
        dead_within(lambda a=a, base=base: refused(base, a.access))
        for a in (holder, other_device)
        for base in (one.url, two.url)
    )
    assert refresh(two.url, holder.refresh).status_code == 401
    # The old number is free: it logs in as a new account, not into the one that left it.
    again = login(grp, one.url, holder.phone)
    assert again.user_id != holder.user_id
    assert get(two.url, PROFILE, again.access).json()["phone_number"] == holder.phone
    figure(
        "sessions: number changed in the admin",
        "the account's sessions' access tokens 401 on both instances "
        f"({'at the first request' if waited == 1 else f'{waited} tries'}), refresh 401; the "
        "old number logs in as a new account",
    )
