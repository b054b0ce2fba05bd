"""HTML pages of who you are: signing in (the phone form, the code form), log-out, sessions,
and an account's life (a new number, a deletion). Session login, CSRF on.

They call the same services as the API (code_send, user_login, phone_change_code_send,
phone_change_confirm, account_delete), so every rule and limit is the API's; errors are
shown in the page in plain words.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.client_ip import client_ip
from core.errors import ApiError, TooManyRequests
from core.limits import LimitExceeded
from core.pages import error_text, first_error

from .apis import AccountDeleteInput, SendCodeInput, VerifyCodeInput, user_agent_of
from .dev_inbox import inbox_available
from .errors import CodeDead, TokenNotValid
from .models import User
from .otp import SentCode, code_send
from .pages import browser_login, login_session_of, signed_in, signed_in_page
from .phone import phone_display
from .services import account_delete, phone_change_code_send, phone_change_confirm, user_login
from .sessions import session_end, sessions_end_all
from .sms import get_sms_backend


@dataclass(frozen=True)
class CodeFlow:
    """Where one use of a one-time code keeps, in the browser's session, the number it was
    sent to and when "send again" opens."""

    phone_key: str
    resend_key: str

    def hold(self, request: HttpRequest, phone: str, wait: int) -> None:
        request.session[self.phone_key] = phone
        request.session[self.resend_key] = time.time() + wait

    def forget(self, request: HttpRequest) -> None:
        for key in (self.phone_key, self.resend_key):
            request.session.pop(key, None)

    def resend_in(self, request: HttpRequest) -> int:
        return max(0, round(request.session.get(self.resend_key, 0) - time.time()))

    def refused(self, request: HttpRequest, exc: ApiError) -> str:
        """A code check refused, in words; a code killed by wrong guesses opens "send again"
        at once, as the server does."""
        if isinstance(exc, CodeDead):
            request.session[self.resend_key] = time.time()
        return error_text(exc)


SIGN_IN = CodeFlow("login_phone", "login_resend_at")
NEW_PHONE = CodeFlow("phone_change_phone", "phone_change_resend_at")
DELETION = CodeFlow("delete_phone", "delete_resend_at")
# A number whose code another browser asked for moments ago (the resend cooldown refused this
# one): the code entry is offered for it, since that code still works.
SESSION_RECENT_PHONE = "login_recent_phone"


@dataclass(frozen=True)
class Send:
    """What became of a request for a code: ``error`` is None when it was sent."""

    error: str | None = None
    status: int = 200
    waiting: bool = False  # refused, but this browser holds a live code for this number
    recent: bool = False  # refused by the resend cooldown: a code went out moments ago
    wait: int = 0  # seconds until a refused send may be tried again


def _send(
    request: HttpRequest, flow: CodeFlow, phone: str, send: Callable[[str], SentCode]
) -> Send:
    """``send`` a code to ``phone`` (E.164) as the API does, and remember it for ``flow``."""
    try:
        sent = send(phone)
    except TooManyRequests as exc:
        waiting = phone == request.session.get(flow.phone_key)
        if waiting:
            request.session[flow.resend_key] = time.time() + exc.retry_after
        recent = isinstance(exc, LimitExceeded) and exc.rule == "send_cooldown"
        return Send(error_text(exc), exc.status_code, waiting, recent, exc.retry_after)
    except ApiError as exc:
        return Send(error_text(exc), exc.status_code)
    flow.hold(request, phone, sent.resend_in)
    return Send()


def _phone_of(phone_input: str) -> tuple[str | None, str | None]:
    """(the number in E.164, None) or (None, what is wrong with it in words)."""
    data = SendCodeInput(data={"phone_number": phone_input})
    if not data.is_valid():
        return None, first_error(data.errors)
    return data.validated_data["phone_number"], None


def _code_context(request: HttpRequest, flow: CodeFlow, phone: str, **extra: Any) -> dict[str, Any]:
    # A development test number is sent nothing: its fixed code is the hint.
    test_code = settings.TEST_PHONE_NUMBERS.get(phone) if settings.DEBUG else None
    return {
        "phone": phone,
        "resend_in": flow.resend_in(request),
        "expires_minutes": settings.AUTH_CODE_TIMEOUT // 60,
        "test_code": test_code,
        "console_hint": settings.DEBUG and get_sms_backend().reveals_codes and not test_code,
        "inbox": inbox_available(),
        **extra,
    }


def _code_of(request: HttpRequest, phone: str) -> tuple[str | None, str | None]:
    """(the 6-digit code posted, None) or (None, what is wrong with it in words)."""
    data = VerifyCodeInput(
        data={"phone_number": phone, "auth_code": request.POST.get("auth_code", "").strip()}
    )
    if not data.is_valid():
        return None, first_error(data.errors)
    return data.validated_data["auth_code"], None


@require_http_methods(["GET", "POST"])
def phone_page(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number; a code is sent and the code page follows."""
    if signed_in(request):
        return redirect("page-profile")
    context: dict[str, Any] = {"phone_input": ""}
    status = 200
    if request.method == "POST":
        context["phone_input"] = request.POST.get("phone_number", "")
        phone, error = _phone_of(context["phone_input"])
        if phone is not None:
            sent = _send(
                request, SIGN_IN, phone, lambda p: code_send(phone=p, client_ip=client_ip(request))
            )
            if sent.error is None or sent.waiting:  # the code already sent still works
                return redirect("page-code")
            error, status = sent.error, sent.status
            if sent.recent:
                request.session[SESSION_RECENT_PHONE] = [phone, time.time() + sent.wait]
                context["recent_phone"] = phone
        else:
            status = 400
        context["error"] = error
    return render(request, "users/phone.html", context, status=status)


@require_POST
def code_enter(request: HttpRequest) -> HttpResponse:
    """The "Enter the code" offer: the code page for the number another browser (or
    another tab) asked a code for moments ago, without asking for a new one."""
    recent = request.session.pop(SESSION_RECENT_PHONE, None)
    if not recent:
        return redirect("page-phone")
    phone, resend_at = recent
    SIGN_IN.hold(request, phone, round(resend_at - time.time()))
    return redirect("page-code")


@require_http_methods(["GET", "POST"])
def code_page(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS; a right one logs the browser in (a session)."""
    phone = request.session.get(SIGN_IN.phone_key)
    if not phone:
        return redirect("page-phone")
    if request.method == "GET":
        return render(request, "users/code.html", _code_context(request, SIGN_IN, phone))
    code, error = _code_of(request, phone)
    if code is None:
        context = _code_context(request, SIGN_IN, phone, error=error)
        return render(request, "users/code.html", context, status=400)
    try:
        result = user_login(
            phone=phone,
            code=code,
            client_ip=client_ip(request),
            user_agent=user_agent_of(request),
            lifetime=timedelta(seconds=settings.SESSION_COOKIE_AGE),
        )
    except ApiError as exc:
        context = _code_context(request, SIGN_IN, phone, error=SIGN_IN.refused(request, exc))
        return render(request, "users/code.html", context, status=exc.status_code)
    browser_login(request, result.user, result.session.pk)
    SIGN_IN.forget(request)
    return redirect("page-profile")


@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    """The "send again" button: a new code to the same phone, within the API's cooldown."""
    phone = request.session.get(SIGN_IN.phone_key)
    if not phone:
        return redirect("page-phone")
    sent = _send(
        request, SIGN_IN, phone, lambda p: code_send(phone=p, client_ip=client_ip(request))
    )
    if sent.error is None:
        return redirect(reverse("page-code") + "?sent=1")
    context = _code_context(request, SIGN_IN, phone, error=sent.error)
    return render(request, "users/code.html", context, status=sent.status)


def _log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("page-phone")


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    """Log the browser out (ending its login session) and go back to the phone form."""
    current = login_session_of(request)
    if current is not None and request.user.is_authenticated:
        session_end(user_id=request.user.pk, session_id=current)
    return _log_out(request)


@require_POST
@signed_in_page
def session_end_page(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """The profile's "log out" beside one session; this browser's own logs it out."""
    user = cast(User, request.user)
    ended = session_end(user_id=user.pk, session_id=session_id)
    if session_id == login_session_of(request):
        return _log_out(request)
    if ended:
        messages.success(request, _("That session has ended."))
    return redirect(reverse("page-profile") + "#sessions")


@require_http_methods(["GET", "POST"])
@signed_in_page
def logout_all_page(request: HttpRequest) -> HttpResponse:
    """The profile's "log out everywhere": asks first (GET), then ends every session of the
    user, this browser's too (POST)."""
    if request.method == "GET":
        return render(request, "users/logout_all.html")
    sessions_end_all(user_id=cast(User, request.user).pk)
    return _log_out(request)


def _send_to_new_phone(request: HttpRequest, user: User) -> Callable[[str], SentCode]:
    return lambda phone: phone_change_code_send(
        user=user, phone=phone, client_ip=client_ip(request)
    )


@require_http_methods(["GET", "POST"])
@signed_in_page
def phone_change_page(request: HttpRequest) -> HttpResponse:
    """Change number, step 1: the new number; a code is sent to it and step 2 follows."""
    context: dict[str, Any] = {"phone_input": ""}
    if request.method == "GET":
        return render(request, "users/phone_change.html", context)
    context["phone_input"] = request.POST.get("phone_number", "")
    phone, error = _phone_of(context["phone_input"])
    status = 400
    if phone is not None:
        sent = _send(
            request, NEW_PHONE, phone, _send_to_new_phone(request, cast(User, request.user))
        )
        if sent.error is None or sent.waiting:
            return redirect("page-phone-change-confirm")
        error, status = sent.error, sent.status
    context["error"] = error
    return render(request, "users/phone_change.html", context, status=status)


@require_http_methods(["GET", "POST"])
@signed_in_page
def phone_change_confirm_page(request: HttpRequest) -> HttpResponse:
    """Change number, step 2: the code sent to the new number makes it the account's; this
    browser stays signed in, every other session of the account ends."""
    user = cast(User, request.user)
    phone = request.session.get(NEW_PHONE.phone_key)
    if not phone:
        return redirect("page-phone-change")
    template = "users/phone_change_code.html"
    if request.method == "GET":
        return render(request, template, _code_context(request, NEW_PHONE, phone))
    code, error = _code_of(request, phone)
    if code is None:
        return render(
            request, template, _code_context(request, NEW_PHONE, phone, error=error), status=400
        )
    try:
        phone_change_confirm(
            user=user,
            phone=phone,
            code=code,
            client_ip=client_ip(request),
            # A password sign-in (the admin's) has no login session: every one of the
            # account's ends, and this browser goes on all the same.
            keep_session=login_session_of(request),
        )
    except TokenNotValid:  # this browser's session ended meanwhile
        return _log_out(request)
    except ApiError as exc:
        context = _code_context(request, NEW_PHONE, phone, error=NEW_PHONE.refused(request, exc))
        return render(request, template, context, status=exc.status_code)
    NEW_PHONE.forget(request)
    messages.success(
        request,
        _(
            "Your number is now %(phone)s. Every other session has ended; "
            "you are still signed in here."
        )
        % {"phone": phone_display(phone)},
    )
    return redirect("page-profile")


@require_POST
@signed_in_page
def phone_change_resend(request: HttpRequest) -> HttpResponse:
    """Step 2's "send again": a new code to the new number, within the API's cooldown."""
    phone = request.session.get(NEW_PHONE.phone_key)
    if not phone:
        return redirect("page-phone-change")
    sent = _send(request, NEW_PHONE, phone, _send_to_new_phone(request, cast(User, request.user)))
    if sent.error is None:
        return redirect(reverse("page-phone-change-confirm") + "?sent=1")
    context = _code_context(request, NEW_PHONE, phone, error=sent.error)
    return render(request, "users/phone_change_code.html", context, status=sent.status)


def _deletion_context(request: HttpRequest, user: User, **extra: Any) -> dict[str, Any]:
    """The deletion page: a code was asked for when this browser holds one for the number."""
    asked = request.session.get(DELETION.phone_key) == user.phone_number
    return _code_context(request, DELETION, user.phone_number, code_asked=asked, **extra)


@require_http_methods(["GET", "POST"])
@signed_in_page
def account_delete_page(request: HttpRequest) -> HttpResponse:
    """Delete the account: says what it does, then a code sent to the account's own number
    (account_delete_send) deletes it; the browser is signed out and told so."""
    user = cast(User, request.user)
    template = "users/account_delete.html"
    if request.method == "GET":
        return render(request, template, _deletion_context(request, user))
    data = AccountDeleteInput(data={"auth_code": request.POST.get("auth_code", "").strip()})
    if not data.is_valid():
        context = _deletion_context(request, user, error=first_error(data.errors))
        return render(request, template, context, status=400)
    try:
        account_delete(
            user=user, code=data.validated_data["auth_code"], client_ip=client_ip(request)
        )
    except ApiError as exc:
        context = _deletion_context(request, user, error=DELETION.refused(request, exc))
        return render(request, template, context, status=exc.status_code)
    logout(request)
    messages.info(request, _("Your account is deleted."))
    return redirect("page-phone")


@require_POST
@signed_in_page
def account_delete_send(request: HttpRequest) -> HttpResponse:
    """The deletion page's "send me a code" (and "send again"): a login code to the
    account's own number, within send-code's limits, as the API's deletion asks."""
    user = cast(User, request.user)
    sent = _send(
        request,
        DELETION,
        user.phone_number,
        lambda p: code_send(phone=p, client_ip=client_ip(request)),
    )
    if sent.error is None:
        return redirect(reverse("page-account-delete") + "?sent=1")
    # Refused: the send button counts down to when it may be pressed again.
    context = _deletion_context(request, user, send_error=sent.error, resend_in=sent.wait)
    return render(request, "users/account_delete.html", context, status=sent.status)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for wherever a page names no icon (the API's
    JSON, Swagger UI): the static file."""
    return redirect(static("favicon.ico"))
