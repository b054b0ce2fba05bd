"""A signed-in browser (with a code, or a password in the admin) stays signed in only while its
login session lives."""

from collections.abc import Callable

from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .pages import SMS_CODE_BACKEND, login_session_of
from .sessions import session_touch


class LoginSessionMiddleware:
    """After Django's ``AuthenticationMiddleware``: a browser whose login session ended
    (logged out elsewhere, everywhere, the number changed, or the account disabled) is
    logged out here too.
    The check runs when a view first looks at ``request.user``, not on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        request.user = SimpleLazyObject(lambda: self._checked(request, user))  # type: ignore[assignment]
        return self.get_response(request)

    @staticmethod
    def _checked(request: HttpRequest, user: object) -> object:
        if not getattr(user, "is_authenticated", False):
            return user
        current = login_session_of(request)
        if current is None and request.session.get(BACKEND_SESSION_KEY) != SMS_CODE_BACKEND:
            # A password sign-in made outside the admin's login view (a test's force_login):
            # the admin's own sign-ins hold a login session, checked like a code's.
            return user
        if current is not None and session_touch(user_id=user.pk, session_id=current):  # type: ignore[attr-defined]
            return user
        request.user = user  # type: ignore[assignment]  # logout() reads it; not this lazy one
        logout(request)
        return AnonymousUser()
