"""Who this browser is on the HTML pages: signed in with a code, and the login session
(users.sessions) that sign-in started. The sign-in pages, the middleware and the profile
page read it from here, not from each other's views."""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .models import User

# The login session this browser's sign-in started.
SESSION_LOGIN = "login_session"
SMS_CODE_BACKEND = "users.backends.SmsCodeBackend"  # such a session never opens the admin


def browser_login(request: HttpRequest, user: User, login_session_id: uuid.UUID) -> None:
    """Sign the browser in after a right code, bound to the login session the code opened."""
    login(request, user, backend=SMS_CODE_BACKEND)  # a new session key: no fixation
    request.session[SESSION_LOGIN] = str(login_session_id)


def login_session_of(request: HttpRequest) -> uuid.UUID | None:
    """The login session this browser signed in with, if it did so with a code."""
    value = request.session.get(SESSION_LOGIN)
    return uuid.UUID(value) if value else None


def signed_in_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page for a signed-in browser; any other goes to the sign-in page, and one whose
    login session ended elsewhere (logged out from another device, the number changed there)
    or ran out is told why in a line there."""

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not signed_in(request):
            return redirect("page-phone")
        return view(request, *args, **kwargs)

    return page


def signed_in(request: HttpRequest) -> bool:
    """Whether the browser is signed in; when its login session has just been found ended
    (users.middleware signs it out on the first look at ``request.user``), a message says so."""
    had_session = login_session_of(request) is not None  # read before the middleware's check
    if request.user.is_authenticated:
        return True
    if had_session:
        logout(request)  # a deleted account's browser too, so the line is said once
        messages.info(
            request,
            _("You were signed out: this session was ended on another device, or it expired."),
        )
    return False
