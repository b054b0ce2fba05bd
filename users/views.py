"""HTML pages for signing in: the phone form, the code form, log-out (session login, CSRF on).

They call the same services as the API (code_send, user_login), so every rule and limit is
the API's; errors are shown inline in the page.
"""

import time
import uuid
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.client_ip import client_ip
from core.errors import ApiError, TooManyRequests
from core.pages import error_text, first_error

from .apis import SendCodeInput, VerifyCodeInput, user_agent_of
from .dev_inbox import inbox_available
from .models import User
from .otp import code_send
from .pages import browser_login, login_session_of
from .services import user_login
from .sessions import session_end, sessions_end_all
from .sms import get_sms_backend

SESSION_PHONE = "login_phone"
SESSION_RESEND_AT = "login_resend_at"


def _send(request: HttpRequest, phone_input: str) -> tuple[str | None, int, bool]:
    """Validate and send a code as the API does.

    Returns the error text (None on success), the HTTP status, and whether this browser
    already holds a live code for this phone (a refused resend of the same number).
    """
    data = SendCodeInput(data={"phone_number": phone_input})
    if not data.is_valid():
        return first_error(data.errors), 400, False
    phone = data.validated_data["phone_number"]
    try:
        sent = code_send(phone=phone, client_ip=client_ip(request))
    except TooManyRequests as exc:
        waiting = phone == request.session.get(SESSION_PHONE)
        if waiting:
            request.session[SESSION_RESEND_AT] = time.time() + exc.retry_after
        return error_text(exc), exc.status_code, waiting
    except ApiError as exc:
        return error_text(exc), exc.status_code, False
    request.session[SESSION_PHONE] = phone
    request.session[SESSION_RESEND_AT] = time.time() + sent.resend_in
    return None, 200, False


@require_http_methods(["GET", "POST"])
def phone_page(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number; a code is sent and the code page follows."""
    if request.user.is_authenticated:
        return redirect("page-profile")
    error, status = None, 200
    phone_input = ""
    if request.method == "POST":
        phone_input = request.POST.get("phone_number", "")
        error, status, waiting = _send(request, phone_input)
        if error is None or waiting:  # the code already sent to this number still works
            return redirect("page-code")
    return render(
        request, "users/phone.html", {"error": error, "phone_input": phone_input}, status=status
    )


def _resend_in(request: HttpRequest) -> int:
    return max(0, round(request.session.get(SESSION_RESEND_AT, 0) - time.time()))


def _code_context(request: HttpRequest, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "phone": phone,
        "resend_in": _resend_in(request),
        "expires_minutes": settings.AUTH_CODE_TIMEOUT // 60,
        "console_hint": settings.DEBUG and get_sms_backend().reveals_codes,
        "inbox": inbox_available(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def code_page(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS; a right one logs the browser in (a session)."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("page-phone")
    if request.method == "GET":
        return render(request, "users/code.html", _code_context(request, phone))
    data = VerifyCodeInput(
        data={"phone_number": phone, "auth_code": request.POST.get("auth_code", "").strip()}
    )
    if not data.is_valid():
        context = _code_context(request, phone, error=first_error(data.errors))
        return render(request, "users/code.html", context, status=400)
    try:
        result = user_login(
            phone=data.validated_data["phone_number"],
            code=data.validated_data["auth_code"],
            client_ip=client_ip(request),
            user_agent=user_agent_of(request),
            lifetime=timedelta(seconds=settings.SESSION_COOKIE_AGE),
        )
    except ApiError as exc:
        context = _code_context(request, phone, error=error_text(exc))
        return render(request, "users/code.html", context, status=exc.status_code)
    browser_login(request, result.user, result.session.pk)
    for key in (SESSION_PHONE, SESSION_RESEND_AT):
        request.session.pop(key, None)
    return redirect("page-profile")


@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    """The "send again" button: a new code to the same phone, within the API's cooldown."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("page-phone")
    error, status, _waiting = _send(request, phone)
    if error is None:
        return redirect(reverse("page-code") + "?sent=1")
    context = _code_context(request, phone, error=error)
    return render(request, "users/code.html", context, status=status)


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
@login_required(login_url="page-phone", redirect_field_name=None)
def session_end_page(request: HttpRequest, session_id: uuid.UUID) -> HttpResponse:
    """The profile's "log out" beside one session; this browser's own logs it out."""
    user = cast(User, request.user)
    ended = session_end(user_id=user.pk, session_id=session_id)
    if session_id == login_session_of(request):
        return _log_out(request)
    if ended:
        messages.success(request, _("That session has ended."))
    return redirect(reverse("page-profile") + "#sessions")


@require_POST
@login_required(login_url="page-phone", redirect_field_name=None)
def logout_all_page(request: HttpRequest) -> HttpResponse:
    """The profile's "log out everywhere": every session of the user, this browser's too."""
    sessions_end_all(user_id=cast(User, request.user).pk)
    return _log_out(request)
