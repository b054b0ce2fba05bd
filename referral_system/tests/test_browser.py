"""End-to-end: the pages and Swagger UI in Debian's headless Chromium, against a live server.

Screenshots of every page land in artifacts/screenshots/ (gitignored).
"""

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from users.models import LoginSession, User
from users.phone import phone_display
from users.tests.helpers import last_code, make_user

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not shutil.which(CHROMIUM):
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")

SHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "screenshots"
PHONE = "+79991234567"
PHONE_SHOWN = "+7 999 123-45-67"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One Chromium for this module; the test database exists before its event loop starts."""
    # Playwright's sync API keeps an event loop running in this thread while the browser
    # is open; the ORM calls the tests make between browser steps are plain synchronous.
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh phone-sized browser tab, English unless a test switches."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 420, "height": 860},
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
    )
    tab = context.new_page()
    failures: list[str] = []
    tab.on("pageerror", lambda exc: failures.append(f"script error: {exc}"))
    yield tab
    context.close()
    assert failures == []


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def navigate(tab: Any, selector: str) -> None:
    """Click something that loads a new page, and wait until it has loaded."""
    with tab.expect_navigation(wait_until="load"):
        tab.click(selector)


def ask_code(page: Any, phone: str = PHONE) -> None:
    page.goto("/")
    page.fill("#phone", phone)
    navigate(page, "button.primary")
    page.wait_for_url("**/code/")


def sign_in(page: Any, phone: str = PHONE) -> User:
    ask_code(page, phone)
    page.fill("#code", last_code(phone))
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")
    return User.objects.get(phone_number=phone)


def test_whole_login_with_a_wrong_code_first(page: Any) -> None:
    page.goto("/")
    shot(page, "1-phone")
    page.fill("#phone", "123")
    navigate(page, "button.primary")
    assert page.inner_text("#phone-error") == "Enter a valid phone number."
    shot(page, "1-phone-error")
    page.fill("#phone", "8 999 123-45-67")
    navigate(page, "button.primary")
    page.wait_for_url("**/code/")
    assert PHONE_SHOWN in page.inner_text(".hint")
    assert page.is_disabled("#resend")
    shot(page, "2-code")
    page.fill("#code", "000000" if last_code(PHONE) != "000000" else "111111")
    navigate(page, "button.primary")
    error = page.inner_text("#code-error")
    assert "The code is wrong or has expired" in error
    assert "Attempts left: 4." in error
    shot(page, "2-code-wrong")
    page.fill("#code", last_code(PHONE))
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")
    user = User.objects.get(phone_number=PHONE)
    assert page.inner_text("#my-phone") == PHONE_SHOWN
    assert page.inner_text("#my-code") == user.invite_code
    assert page.is_visible("#invite")


def test_code_page_in_development_says_where_the_code_is(
    page: Any, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = True
    settings.SMS_BACKEND = "users.sms.console.ConsoleBackend"
    ask_code(page)
    assert "printed in the terminal where the server runs" in page.inner_text("#dev-hint")
    shot(page, "2-code-dev")
    printed = capsys.readouterr().out
    assert f"[SMS to {PHONE}] Your login code: " in printed


def test_send_again_after_the_countdown(page: Any, settings: Any) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 2
    ask_code(page)
    assert page.is_disabled("#resend")
    assert page.inner_text("#resend-wait .seconds") in {"1", "2"}
    page.wait_for_selector("#resend:enabled", timeout=5000)
    navigate(page, "#resend")
    page.wait_for_url("**/code/?sent=1")
    assert page.is_visible("text=A new code is on its way.")
    page.fill("#code", last_code(PHONE))
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")


def test_copy_button_copies_the_invite_code(page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    user = sign_in(page)
    page.click("[data-copy='#my-code']")
    sync_api.expect(page.locator("[data-copy='#my-code']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == user.invite_code
    page.click("#copy-link")
    sync_api.expect(page.locator("#copy-link")).to_have_text("Copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{page.url.split('/profile/')[0]}/i/{user.invite_code}"


def test_activation_errors_then_success(page: Any) -> None:
    me = sign_in(page)
    inviter = make_user("+79990000002")
    invited = make_user("+79990000003")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=1)
    missing = "ZZZZZZ" if "ZZZZZZ" not in {inviter.invite_code, invited.invite_code} else "YYYYYY"
    for code, message in [
        ("12", "An invite code is 6 letters and digits."),
        (me.invite_code, "You cannot activate your own invite code."),
        (missing, "There is no such invite code."),
        (invited.invite_code, "This code belongs to someone you invited, directly or not."),
    ]:
        page.fill("#invite", code)
        navigate(page, "#activate")
        assert page.inner_text("#invite-error") == message
    shot(page, "3-profile-invite-error")
    page.fill("#invite", inviter.invite_code.lower())
    navigate(page, "#activate")
    page.wait_for_selector("#activated-code")
    assert page.inner_text("#activated-code") == inviter.invite_code
    assert page.is_visible("text=The invite code is activated.")
    assert not page.is_visible("#invite")
    shot(page, "3-profile-activated")


def test_already_activated_from_a_stale_tab(page: Any) -> None:
    sign_in(page)
    first, second = make_user("+79990000004"), make_user("+79990000005")
    other_tab = page.context.new_page()
    other_tab.goto("/profile/")
    page.fill("#invite", first.invite_code)
    navigate(page, "#activate")
    page.wait_for_selector("#activated-code")
    other_tab.fill("#invite", second.invite_code)
    navigate(other_tab, "#activate")
    assert other_tab.inner_text("#invite-error") == "You have already activated an invite code."
    assert other_tab.inner_text("#activated-code") == first.invite_code


def test_referrals_are_paged_then_log_out(page: Any, settings: Any) -> None:
    settings.REFERRALS_PAGE_SIZE = 2
    me = sign_in(page)
    phones = [f"+7999000011{i}" for i in range(5)]
    for phone in phones:
        referral = make_user(phone)
        User.objects.filter(pk=referral.pk).update(invited_by=me, invited_at=referral.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=len(phones))
    page.goto("/profile/")
    assert page.inner_text("#invited-title") == "5 people activated your code"
    shot(page, "4-profile-referrals")
    pages = [page.locator("#referrals .phone").all_inner_texts()]
    while page.locator("#next-page").count():
        navigate(page, "#next-page")
        pages.append(page.locator("#referrals .phone").all_inner_texts())
    assert [len(p) for p in pages] == [2, 2, 1]
    shown = [phone_display(p) for p in reversed(phones)]
    assert [p for chunk in pages for p in chunk] == shown
    navigate(page, "#prev-page")
    assert page.locator("#referrals .phone").all_inner_texts() == pages[1]
    navigate(page, "#logout")
    page.wait_for_url(lambda url: url.endswith("/"))
    page.goto("/profile/")
    assert page.url.endswith("/")
    assert page.is_visible("#phone")


def test_language_switch(page: Any) -> None:
    page.goto("/")
    assert page.inner_text("h1") == "Sign in"
    navigate(page, "button[name=language][value=ru]")
    page.wait_for_selector("html[lang=ru]")
    assert page.inner_text("h1") == "Войти"
    shot(page, "5-phone-ru")
    page.fill("#phone", "123")
    navigate(page, "button.primary")
    assert page.inner_text("#phone-error") == "Введите правильный номер телефона."
    user = sign_in(page)
    assert page.inner_text("#my-code") == user.invite_code
    assert page.is_visible("text=Ваш инвайт-код")
    shot(page, "5-profile-ru")
    navigate(page, "button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.is_visible("text=Your invite code")


def test_swagger_ui_loads_all_its_assets(page: Any) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: failed.extend([f"{r.url} {r.status}"] * (r.status >= 400)))
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto("/swagger/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    page.wait_for_load_state("networkidle")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 7
    assert any(p.endswith("/auth/send-code/") for p in paths), paths
    shot(page, "6-swagger")
    assert failed == []


def test_swagger_and_redoc_load_nothing_from_other_sites(page: Any, live_server: Any) -> None:
    """Every request either stays on this server or is refused by the page's own policy
    (ReDoc's bundle asks for its vendor's logo; the CSP in our ReDoc template refuses it)."""
    left: list[str] = []
    refused: list[str] = []
    local = live_server.url

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(local) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            left.append(url)
            request_route.abort()

    page.context.route("**/*", route)
    page.on(
        "requestfailed",
        lambda r: refused.append(r.url) if not r.url.startswith(local) else None,
    )
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto("/swagger/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    page.wait_for_load_state("networkidle")
    page.goto("/redoc/")
    page.wait_for_selector("text=Referral System API", timeout=15000)
    page.wait_for_load_state("networkidle")
    shot(page, "6-redoc")
    assert left == []
    assert all(url.startswith("https://cdn.redoc.ly/") for url in refused), refused


def test_code_field_is_ready_for_autofill(page: Any) -> None:
    ask_code(page)
    field = page.locator("#code")
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.get_attribute("inputmode") == "numeric"


# Stands in for Chrome's WebOTP: the page's request for a code waits until the test delivers
# the SMS's code, as the browser does when the SMS arrives.
WEBOTP_STUB = """
window.OTPCredential = function OTPCredential() {};
window.__otpRequests = [];
navigator.credentials.get = (options) => new Promise((resolve) => {
  window.__otpRequests.push(options.otp);
  window.__deliverOtp = (code) => resolve({ code, type: "otp" });
});
"""


def test_webotp_fills_in_the_code_and_signs_in(page: Any) -> None:
    page.context.add_init_script(WEBOTP_STUB)
    ask_code(page)
    assert page.evaluate("window.__otpRequests") == [{"transport": ["sms"]}]
    with page.expect_navigation(wait_until="load"):
        page.evaluate(f"window.__deliverOtp({last_code(PHONE)!r})")
    page.wait_for_url("**/profile/")


def test_without_webotp_nothing_changes(page: Any) -> None:
    page.context.add_init_script("delete window.OTPCredential;")
    ask_code(page)
    page.fill("#code", last_code(PHONE))
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")


def test_development_inbox_from_the_code_page(page: Any, settings: Any) -> None:
    settings.DEBUG = True
    ask_code(page)
    ask_code(page, "+79990000077")
    with page.context.expect_page() as opened:
        page.click("#dev-inbox-link")
    inbox = opened.value
    inbox.wait_for_load_state("load")
    assert inbox.locator("#inbox .phone").all_inner_texts() == [
        "+7 999 000-00-77",
        PHONE_SHOWN,
    ]
    text = inbox.locator("#inbox .sms-text").first.inner_text()
    code = last_code("+79990000077")
    assert text == f"Your login code: {code}\n@localhost #{code}"
    inbox.set_viewport_size({"width": 420, "height": 520})
    SHOTS.mkdir(parents=True, exist_ok=True)
    inbox.screenshot(path=str(SHOTS / "7-dev-inbox.png"), full_page=True)
    page.fill("#code", code)
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")


def test_invite_link_new_visitor_signs_in_then_activates_with_one_click(page: Any) -> None:
    friend = make_user("+79165550011")
    response = page.goto(f"/i/{friend.invite_code}")
    assert response.status == 200
    assert page.inner_text("h1") == "You were invited"
    assert "+7 916" not in page.content()
    shot(page, "8-invite-link")
    navigate(page, "#sign-in")
    page.fill("#phone", PHONE)
    navigate(page, "button.primary")
    page.fill("#code", last_code(PHONE))
    navigate(page, "button.primary")
    page.wait_for_url("**/profile/")
    assert friend.invite_code in page.inner_text("#invite-offer")
    assert page.input_value("#invite") == friend.invite_code
    assert User.objects.get(phone_number=PHONE).invited_by_id is None
    shot(page, "8-profile-invite-offer")
    navigate(page, "#activate")
    assert page.inner_text("#activated-code") == friend.invite_code
    assert User.objects.get(phone_number=PHONE).invited_by_id == friend.pk
    assert not page.is_visible("#invite-offer")


def test_invite_link_signed_in_visitor_goes_straight_to_the_offer(page: Any) -> None:
    sign_in(page)
    friend = make_user("+79165550011")
    page.goto(f"/i/{friend.invite_code.lower()}")
    page.wait_for_url("**/profile/#activation")
    assert page.input_value("#invite") == friend.invite_code
    navigate(page, "#activate")
    assert page.inner_text("#activated-code") == friend.invite_code


def test_invite_link_unknown_own_and_already_activated(page: Any) -> None:
    response = page.goto("/i/ZZZZZZ")
    assert response.status == 404
    assert page.inner_text("h1") == "Invite link not found"
    me = sign_in(page)
    page.goto(f"/i/{me.invite_code}")
    assert page.get_attribute("#invite-state", "data-state") == "own"
    assert page.inner_text("h1") == "This is your own invite link"
    friend, other = make_user("+79165550011"), make_user("+79165550022")
    User.objects.filter(pk=me.pk).update(invited_by=friend, invited_at=me.date_joined)
    page.goto(f"/i/{other.invite_code}")
    assert page.get_attribute("#invite-state", "data-state") == "activated"
    state = page.inner_text("#invite-state")
    assert f"You have already activated the code {friend.invite_code}." in state


def test_profile_in_russian_on_a_phone_keeps_the_placeholder_whole(page: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/")
    navigate(page, "button[name=language][value=ru]")
    me = sign_in(page)
    referral = make_user("+79990000120")
    User.objects.filter(pk=referral.pk).update(invited_by=me, invited_at=referral.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=1)
    page.goto("/profile/")
    assert page.inner_text("#activation-title") == "Кто вас пригласил"
    assert page.inner_text("#invited-title") == "1 человек активировал ваш код"
    room = page.evaluate(
        """() => {
          const field = document.getElementById("invite");
          const style = getComputedStyle(field);
          const ctx = document.createElement("canvas").getContext("2d");
          ctx.font = style.font;
          const text = ctx.measureText(field.placeholder).width;
          const inner = field.clientWidth - parseFloat(style.paddingLeft)
                        - parseFloat(style.paddingRight);
          return inner - text;
        }"""
    )
    assert room > 0
    assert page.locator("#my-qr svg").is_visible()
    shot(page, "9-profile-ru-phone")


def test_sessions_on_the_profile_log_out_another_then_everywhere(
    page: Any, browser: Any, live_server: Any, settings: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    other = browser.new_context(
        base_url=live_server.url, user_agent="Other Browser/2.0", locale="en-US"
    ).new_page()
    sign_in(other)
    sign_in(page)
    rows = page.locator("#session-list li")
    assert rows.count() == 2
    assert page.locator("#session-list li.current .this-device").inner_text() == "This device"
    assert "Other Browser/2.0" in rows.nth(1).inner_text()  # no parser knows it: as sent
    shot(page, "8-profile-sessions")
    with page.expect_navigation(wait_until="load"):
        rows.nth(1).locator("button").click()
    assert page.locator("#session-list li").count() == 1
    other.goto("/profile/")
    assert other.is_visible("#phone")  # the other browser is signed out
    navigate(page, "#logout-all")
    assert page.is_visible("#cancel")  # it asks first; nothing has ended yet
    shot(page, "8-logout-all-confirm")
    navigate(page, "#confirm-logout-all")
    page.goto("/profile/")
    assert page.is_visible("#phone")
    other.context.close()


PHONE_WIDTH = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
NEW_PHONE = "+79990000055"
NEW_PHONE_SHOWN = "+7 999 000-00-55"


def fits(page: Any) -> None:
    """Nothing on the page is wider than the window: no sideways scrolling on a phone."""
    overflow = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > width + 0.5)
            .map((el) => el.tagName + (el.id ? "#" + el.id : ""));
          return [document.documentElement.scrollWidth - width, wide];
        }"""
    )
    assert overflow == [0, []], overflow


def in_language(page: Any, language: str) -> None:
    page.goto("/")
    if language == "ru":
        navigate(page, "button[name=language][value=ru]")
        page.wait_for_selector("html[lang=ru]")


ACCOUNT_WORDS = {
    "en": {
        "changed": f"Your number is now {NEW_PHONE_SHOWN}.",
        "deleted": "Your account is deleted.",
        "kept": "The people you invited keep their accounts",
        "limited": "You have downloaded your data too many times this hour.",
    },
    "ru": {
        "changed": f"Теперь ваш номер {NEW_PHONE_SHOWN}.",
        "deleted": "Ваша учётная запись удалена.",
        "kept": "Приглашённые вами люди сохраняют свои учётные записи",
        "limited": "Вы слишком часто скачивали свои данные за этот час.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("viewport", [PHONE_WIDTH, DESKTOP], ids=["360px", "desktop"])
def test_account_life_change_number_download_then_delete(
    page: Any, settings: Any, language: str, viewport: dict[str, int]
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    settings.EXPORT_PER_USER_HOUR = 1
    words = ACCOUNT_WORDS[language]
    suffix = f"{language}-{viewport['width']}"
    page.set_viewport_size(viewport)
    in_language(page, language)
    me = sign_in(page)
    invited = make_user("+79990000121")
    User.objects.filter(pk=invited.pk).update(invited_by=me, invited_at=me.date_joined)
    User.objects.filter(pk=me.pk).update(referrals_count=1)
    page.goto("/profile/#account")
    fits(page)
    shot(page, f"10-profile-account-{suffix}")

    navigate(page, "#change-phone")
    fits(page)
    shot(page, f"11-phone-change-{suffix}")
    page.fill("#phone", "8 999 000-00-55")
    navigate(page, "#get-code")
    page.wait_for_url("**/profile/phone/confirm/")
    assert NEW_PHONE_SHOWN in page.inner_text(".hint")
    page.fill("#code", "12")
    navigate(page, "#code-submit")
    assert page.is_visible("#code-error")
    fits(page)
    shot(page, f"11-phone-change-code-{suffix}")
    page.fill("#code", last_code(NEW_PHONE))
    navigate(page, "#code-submit")
    page.wait_for_url("**/profile/")
    assert words["changed"] in page.inner_text(".notice")
    assert page.inner_text("#my-phone") == NEW_PHONE_SHOWN

    with page.expect_download() as download:
        page.click("#export")
    document = json.loads(Path(download.value.path()).read_text())
    assert document["account"]["phone_number"] == NEW_PHONE
    assert [r["phone_number"] for r in document["referrals"]] == ["+79990000121"]
    response = page.goto("/profile/export/")
    assert response.status == 429
    assert words["limited"] in page.inner_text("#export-limited")
    fits(page)
    shot(page, f"12-export-limited-{suffix}")

    page.goto("/profile/")
    navigate(page, "#delete-account")
    assert words["kept"] in page.inner_text("#consequences")
    assert NEW_PHONE_SHOWN in page.inner_text("#consequences")
    assert not page.is_visible("#code")
    fits(page)
    shot(page, f"13-account-delete-{suffix}")
    navigate(page, "#resend")
    page.wait_for_selector("#code")
    fits(page)
    shot(page, f"13-account-delete-code-{suffix}")
    page.fill("#code", last_code(NEW_PHONE))
    navigate(page, "#code-submit")
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.inner_text(".notice") == words["deleted"]
    assert not User.objects.filter(pk=me.pk).exists()
    assert User.objects.filter(pk=invited.pk).exists()
    page.goto("/profile/")
    assert page.is_visible("#phone")


def test_a_second_browser_on_the_same_phone_enters_the_code_already_sent(
    page: Any, browser: Any, live_server: Any
) -> None:
    first = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    ask_code(first)
    page.set_viewport_size(PHONE_WIDTH)
    page.goto("/")
    page.fill("#phone", PHONE)
    navigate(page, "#get-code")
    assert "A code was sent recently." in page.inner_text("#phone-error")
    assert PHONE_SHOWN in page.inner_text("#code-offer")
    fits(page)
    shot(page, "14-phone-code-offer")
    navigate(page, "#enter-code")
    page.wait_for_url("**/code/")
    assert page.is_disabled("#resend")  # the cooldown still runs
    page.fill("#code", last_code(PHONE))
    navigate(page, "#code-submit")
    page.wait_for_url("**/profile/")
    first.context.close()


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_sessions_on_a_phone_in_russian_name_devices_and_fit(
    browser: Any, live_server: Any, settings: Any
) -> None:
    settings.AUTH_CODE_RESEND_INTERVAL = 0
    iphone = browser.new_context(base_url=live_server.url, user_agent=IPHONE_SAFARI).new_page()
    sign_in(iphone)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE_WIDTH, user_agent=ANDROID_CHROME
    )
    page = context.new_page()
    in_language(page, "ru")
    sign_in(page)
    page.goto("/profile/#sessions")
    devices = page.locator("#session-list .device").all_inner_texts()
    assert devices == ["Chrome на Android", "Safari на iPhone"]
    facts = page.locator("#session-list .session-facts")
    widths = [facts.nth(i).bounding_box()["width"] for i in range(facts.count())]
    assert min(widths) > 250, widths  # the whole row, the button beneath: no narrow column
    fits(page)
    shot(page, "15-profile-sessions-ru-360")
    context.close()
    iphone.context.close()


def test_signed_out_elsewhere_then_told_why(page: Any) -> None:
    sign_in(page)
    LoginSession.objects.all().delete()  # ended elsewhere
    page.goto("/profile/")
    page.wait_for_url(lambda url: url.endswith("/"))
    said = "You were signed out: this session was ended on another device, or it expired."
    assert page.inner_text(".notice") == said
    page.reload()
    assert not page.is_visible(".notice")


def test_a_failed_activation_can_be_reloaded_safely(page: Any) -> None:
    sign_in(page)
    page.fill("#invite", "12")
    navigate(page, "#activate")
    assert page.url.endswith("/profile/#activation")
    assert page.inner_text("#invite-error") == "An invite code is 6 letters and digits."
    posts: list[str] = []
    page.on("request", lambda r: posts.extend([r.url] * (r.method == "POST")))
    page.reload()
    assert posts == []
    assert not page.is_visible("#invite-error")


def test_every_page_has_its_icon(page: Any) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.extend([f"{r.url} {r.status}"] * (r.status >= 400)))
    sign_in(page)
    page.wait_for_load_state("networkidle")
    icon = page.goto("/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert failed == []
