"""Who this browser is on the HTML pages: signed in with a code, and the login session
(users.sessions) that sign-in started. The sign-in pages, the middleware and the profile
page read it from here, not from each other's views."""

import uuid

from django.contrib.auth import login
from django.http import HttpRequest

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
