"""End-to-end: the operator's views in the admin, in Debian's headless Chromium against a live
server (the browser and the tab come from test_browser.py): SMS by destination prefix with a
pumped prefix resumed, and activations with their signals, filtered, one undone."""

from datetime import timedelta
from typing import Any

from rest_framework.test import APIClient

from referrals.services import invite_code_activate
from users.models import User
from users.sessions import session_start
from users.tests.helpers import send

from .test_browser import browser, navigate, page, shot  # noqa: F401  (fixtures)

STAFF = "+79990000077"
PASSWORD = "a-long-password-123"


def admin_sign_in(tab: Any) -> None:
    User.objects.create_superuser(phone_number=STAFF, password=PASSWORD)
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.goto("/admin/")
    tab.fill("#id_username", STAFF)
    tab.fill("#id_password", PASSWORD)
    navigate(tab, "input[type=submit]")
    tab.wait_for_url("**/admin/")


def row(tab: Any, prefix: str) -> Any:
    return tab.locator(f"tr[data-prefix='{prefix}']")


def test_a_pumped_prefix_in_the_admin_then_resumed(page: Any, settings: Any) -> None:  # noqa: F811
    settings.SMS_PUMPING_GUARD = True
    settings.SMS_PUMPING_MIN_SENDS = 5
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    api = APIClient()
    for n in range(7):  # five sent and never verified, then two refused
        send(api, f"+7999000000{n}", HTTP_X_FORWARDED_FOR=f"10.0.{n}.1")
    send(api, "+79161234567", HTTP_X_FORWARDED_FOR="10.1.0.1")
    admin_sign_in(page)
    navigate(page, "a:text('Destination prefixes')")
    assert page.inner_text("h1") == "SMS by destination prefix"
    pumped = row(page, "+7999")
    assert pumped.locator(".sent").inner_text() == "5"
    assert pumped.locator(".verified").inner_text() == "0"
    assert pumped.locator(".ratio").inner_text() == "0 %"
    assert pumped.locator(".state").inner_text() == "yes, 60 min more"
    assert row(page, "+7916").locator(".state").inner_text() == "no"
    assert row(page, "+7916").locator("button.resume").count() == 0
    shot(page, "10-admin-sms-prefixes")
    navigate(page, "tr[data-prefix='+7999'] button.resume")
    assert "Codes to new numbers of +7999 are sent again." in page.inner_text(".messagelist")
    assert row(page, "+7999").locator(".state").inner_text() == "no"
    shot(page, "10-admin-sms-prefixes-resumed")
    assert send(api, "+79990000009", HTTP_X_FORWARDED_FOR="10.0.9.1").status_code == 200


def test_activations_with_their_signals_filtered_then_one_undone(page: Any, make_user) -> None:  # noqa: F811
    inviter = make_user("+79990001000")
    session_start(user_id=inviter.pk, user_agent="t", client_ip="5.5.5.5", lifetime=timedelta(1))
    plain, fresh = make_user("+79161111111"), make_user("+79262222222")
    User.objects.filter(pk=plain.pk).update(date_joined=plain.date_joined - timedelta(days=1))
    plain.refresh_from_db()
    invite_code_activate(user=plain, raw_code=inviter.invite_code, client_ip="6.6.6.6")
    invite_code_activate(user=fresh, raw_code=inviter.invite_code, client_ip="5.5.5.9")
    admin_sign_in(page)
    navigate(page, "a:text('Activations')")
    results = page.locator("#result_list tbody tr")
    assert results.count() == 2
    navigate(page, "#changelist-filter a[href*='strong__exact=1']")
    assert results.count() == 1
    assert fresh.phone_number in results.first.inner_text()
    shot(page, "11-admin-activations-strong")
    results.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "undo")
    navigate(page, "button[name=index]")
    assert "1 activation undone" in page.inner_text(".messagelist")
    shot(page, "11-admin-activations-undone")
    inviter.refresh_from_db()
    fresh.refresh_from_db()
    assert (inviter.referrals_count, fresh.invited_by_id) == (1, None)
