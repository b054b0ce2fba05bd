from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.fields import DateTimeField

from core.tests.helpers import ON_POSTGRES
from users.models import User
from users.tests.helpers import assert_error, sign_in

pytestmark = pytest.mark.django_db

PROFILE_KEYS = {
    "id",
    "phone_number",
    "invite_code",
    "invite_url",
    "activated_invite_code",
    "date_joined",
    "referrals_count",
    "referrals",
    "referrals_next",
}


def give_referrals(inviter: User, n: int) -> list[str]:
    """``n`` users who activated ``inviter``'s code, one second apart; phones newest first."""
    start = timezone.now() - timedelta(days=1)
    users = [
        User(
            phone_number=f"+7916{i:07d}",
            invite_code=f"R{i:05d}",
            invited_by=inviter,
            invited_at=start + timedelta(seconds=i),
        )
        for i in range(n)
    ]
    User.objects.bulk_create(users)
    User.objects.filter(pk=inviter.pk).update(referrals_count=n)
    return [u.phone_number for u in reversed(users)]


def test_profile_of_a_new_user(user, user_api) -> None:
    response = user_api.get("/api/profile/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body["id"] == user.pk
    assert body["phone_number"] == user.phone_number
    assert body["invite_code"] == user.invite_code
    assert body["invite_url"] == f"http://testserver/i/{user.invite_code}"
    assert body["activated_invite_code"] is None
    assert body["referrals_count"] == 0
    assert body["referrals"] == []
    assert body["referrals_next"] is None
    user.refresh_from_db()
    assert body["date_joined"] == DateTimeField().to_representation(user.date_joined)
    with timezone.override("Europe/Moscow"):
        body = user_api.get("/api/profile/").json()
        assert body["date_joined"] == DateTimeField().to_representation(user.date_joined)
    assert body["date_joined"].endswith("+03:00")


def test_profile_lists_referrals_newest_first_at_most_100(user, user_api) -> None:
    phones = give_referrals(user, 130)
    body = user_api.get("/api/profile/").json()
    assert body["referrals_count"] == 130
    assert body["referrals"] == phones[:100]
    assert body["referrals_next"].startswith("http://testserver/api/profile/referrals/?cursor=")
    rest = user_api.get(body["referrals_next"]).json()
    assert [r["phone_number"] for r in rest["results"]] == phones[100:]
    first = user_api.get("/api/profile/referrals/").json()  # the same position as page 1's
    assert body["referrals_next"] == first["next"]
    assert rest["next"] is None
    assert rest["previous"] is not None


def test_referrals_page_through_everyone(user, user_api) -> None:
    phones = give_referrals(user, 45)
    seen: list[str] = []
    url = "/api/profile/referrals/?page_size=10"
    pages = 0
    while url:
        page = user_api.get(url).json()
        assert set(page) == {"next", "previous", "results"}
        assert all(set(r) == {"phone_number", "activated_at"} for r in page["results"])
        seen += [r["phone_number"] for r in page["results"]]
        url = page["next"]
        pages += 1
    assert seen == phones
    assert pages == 5


def test_referral_items_are_what_their_documented_serializer_gives(user, user_api) -> None:
    from referrals.apis import ReferralOutput
    from referrals.selectors import referral_page

    give_referrals(user, 7)
    results = user_api.get("/api/profile/referrals/").json()["results"]
    expected = ReferralOutput(referral_page(user_id=user.pk, size=100).results, many=True).data
    assert results == expected
    assert results[0]["activated_at"].endswith("Z")
    with timezone.override("Europe/Moscow"):  # a TIME_ZONE other than UTC: local time, +03:00
        results = user_api.get("/api/profile/referrals/").json()["results"]
        expected = ReferralOutput(referral_page(user_id=user.pk, size=100).results, many=True).data
    assert results == expected
    assert results[0]["activated_at"].endswith("+03:00")


def test_referrals_with_equal_activation_times_are_neither_lost_nor_repeated(
    user, user_api
) -> None:
    same_time = timezone.now()
    User.objects.bulk_create(
        User(
            phone_number=f"+7926{i:07d}",
            invite_code=f"T{i:05d}",
            invited_by=user,
            invited_at=same_time,
        )
        for i in range(25)
    )
    seen: list[str] = []
    url = "/api/profile/referrals/?page_size=7"
    while url:
        page = user_api.get(url).json()
        seen += [r["phone_number"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f"+7926{i:07d}" for i in range(25))


def test_a_broken_cursor_is_a_clear_404(user_api) -> None:
    assert_error(user_api.get("/api/profile/referrals/?cursor=garbage"), 404, "not_found")


def test_profile_and_referrals_need_a_token(api) -> None:
    assert_error(api.get("/api/profile/"), 401, "not_authenticated")
    assert_error(api.get("/api/profile/referrals/"), 401, "not_authenticated")


@pytest.mark.parametrize("referrals", [0, 1, 150])
def test_queries_per_request_are_a_small_constant(
    user, user_api, django_assert_max_num_queries, referrals
) -> None:
    give_referrals(user, referrals)
    with django_assert_max_num_queries(3):  # user and session, inviter's code, first page
        assert user_api.get("/api/profile/").status_code == 200
    with django_assert_max_num_queries(3):  # whatever the Accept header
        assert user_api.get("/api/profile/", HTTP_ACCEPT="application/json;q=1").status_code == 200
    with django_assert_max_num_queries(2):  # the authenticated user + one page
        assert user_api.get("/api/profile/referrals/").status_code == 200


@pytest.mark.parametrize("referrals", [0, 3, 100, 101, 250])
def test_every_accept_header_gets_the_same_profile(user, make_user, user_api, referrals) -> None:
    """Whatever JSON the client accepts, DRF's negotiation gives the same bytes and headers."""
    give_referrals(user, referrals)
    inviter = make_user("+79990000002")
    User.objects.filter(pk=user.pk).update(invited_by=inviter, invited_at=timezone.now())
    drf = user_api.get("/api/profile/", HTTP_ACCEPT="application/json; q=0.9")
    assert drf.status_code == 200
    for accept in [None, "*/*", "application/json", "application/json, text/plain, */*"]:
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        short = user_api.get("/api/profile/", **extra)
        assert short.status_code == 200
        assert short.content == drf.content
        for header in ("Content-Type", "Allow", "Content-Language", "Vary"):
            assert short.get(header) == drf.get(header), header
    body = drf.json()
    assert body["activated_invite_code"] == inviter.invite_code
    assert len(body["referrals"]) == min(referrals, 100)
    assert (body["referrals_next"] is not None) == (referrals > 100)


def test_only_json_is_served(user_api) -> None:
    assert_error(user_api.get("/api/profile/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Statistics of this test's rows, not of whatever the table held before; and a table
        # this small is cheaper to scan whole: ask what the plan is when it is not.
        cursor.execute("ANALYZE users_user")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(not ON_POSTGRES, reason="reads a PostgreSQL query plan")
def test_the_profiles_statements_read_index_ranges(user, user_api) -> None:
    from django.test.utils import CaptureQueriesContext

    give_referrals(user, 3000)  # enough that reading in the index's order is the cheap plan
    with CaptureQueriesContext(connection) as queries:
        assert user_api.get("/api/profile/").status_code == 200
    plans = [_plan(query["sql"]) for query in queries.captured_queries]
    assert plans, "the profile read nothing"
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan  # the index's order is the page's order
    assert any("Index Only Scan Backward using user_referrals_idx" in plan for plan in plans)


@pytest.mark.skipif(not ON_POSTGRES, reason="reads a PostgreSQL query plan")
def test_a_deep_referral_page_is_one_range_read_of_its_index(user) -> None:
    from django.test.utils import CaptureQueriesContext

    from referrals.selectors import referral_page

    give_referrals(user, 3000)  # enough that reading in the index's order is the cheap plan
    deep = referral_page(user_id=user.pk, size=250).next_cursor
    with CaptureQueriesContext(connection) as queries:
        referral_page(user_id=user.pk, size=100, cursor=deep)
    (query,) = queries.captured_queries
    plan = _plan(query["sql"])
    assert "user_referrals_idx" in plan, plan
    assert "Index Cond" in plan, plan  # the cursor bounds the scan, no filtering of skipped rows
    assert "Sort" not in plan, plan


def test_previous_links_walk_back_to_the_first_page(user, user_api) -> None:
    phones = give_referrals(user, 23)
    pages: list[list[str]] = []
    url = "/api/profile/referrals/?page_size=5"
    while url:
        page = user_api.get(url).json()
        pages.append([r["phone_number"] for r in page["results"]])
        last, url = page, page["next"]
    assert [p for page in pages for p in page] == phones
    assert "page_size=5" in last["previous"]
    back: list[list[str]] = []
    url = last["previous"]
    while url:
        page = user_api.get(url).json()
        back.append([r["phone_number"] for r in page["results"]])
        url = page["previous"]
    assert back == pages[-2::-1]


@pytest.mark.parametrize("cursor", ["YXwyMDI2LTAxLTAxfDE", "enp8eHh8MQ", "eHh4", "%%%"])
def test_forged_cursors_are_404(user_api, cursor) -> None:
    # "a|2026-01-01|1" (no time zone), "zz|xx|1", "xxx", not base64
    assert_error(user_api.get(f"/api/profile/referrals/?cursor={cursor}"), 404, "not_found")


def _cursor(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


UNUSUAL_CURSORS = [
    _cursor("a|2026-01-01T00:00:00+05:00|1"),  # another time zone: one spelling only
    _cursor("a|9999-12-31T23:59:59-05:00|1"),  # past the last representable moment in UTC
    _cursor("b|2026-01-01T00:00:00+00:00|99999999999999999999"),  # beyond bigint
    _cursor("a|2026-01-01T00:00:00+00:00|-1"),
    _cursor("a|2026-01-01T00:00:00+00:00|1") + "A",  # trailing bits
]


@pytest.mark.parametrize("cursor", UNUSUAL_CURSORS)
def test_cursors_that_decode_to_unusual_values_are_404_on_the_api_and_the_page(
    user, user_api, client, cursor
) -> None:
    give_referrals(user, 3)
    assert_error(user_api.get(f"/api/profile/referrals/?cursor={cursor}"), 404, "not_found")
    sign_in(client, user.phone_number)
    assert client.get(f"/profile/?cursor={cursor}").status_code == 404


def test_a_cursor_is_taken_only_alone_and_as_written(user, user_api, client) -> None:
    give_referrals(user, 3)
    written = user_api.get("/api/profile/referrals/?page_size=1").json()["next"]
    cursor = parse_qs(urlsplit(written).query)["cursor"][0]
    assert user_api.get(f"/api/profile/referrals/?cursor={cursor}").status_code == 200
    sign_in(client, user.phone_number)
    for query in ("cursor=", f"cursor=junk&cursor={cursor}", f"cursor={cursor}&cursor={cursor}"):
        assert_error(user_api.get(f"/api/profile/referrals/?{query}"), 404, "not_found")
        assert client.get(f"/profile/?{query}").status_code == 404


def test_cursors_are_written_in_utc_whatever_the_sites_time_zone(user, user_api, settings) -> None:
    give_referrals(user, 3)
    utc = user_api.get("/api/profile/referrals/?page_size=1").json()["next"]
    settings.TIME_ZONE = "Asia/Tokyo"
    tokyo = user_api.get("/api/profile/referrals/?page_size=1").json()["next"]
    assert tokyo == utc
    assert user_api.get(tokyo).status_code == 200
