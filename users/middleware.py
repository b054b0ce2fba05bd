"""A browser signed in with a code stays signed in only while its login session lives."""

from collections.abc import Callable

from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .pages import SMS_CODE_BACKEND, login_session_of
from .sessions import session_touch


class LoginSessionMiddleware:
    """After Django's ``AuthenticationMiddleware``: a code-signed browser whose login session
    ended (logged out elsewhere, everywhere, or the account disabled) is logged out here too.
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
        if request.session.get(BACKEND_SESSION_KEY) != SMS_CODE_BACKEND:
            return user  # a password sign-in (the admin's): not a login session of ours
        current = login_session_of(request)
        if current is not None and session_touch(user_id=user.pk, session_id=current):  # type: ignore[attr-defined]
            return user
        request.user = user  # type: ignore[assignment]  # logout() reads it; not this lazy one
        logout(request)
        return AnonymousUser()
