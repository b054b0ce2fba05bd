"""Helpers of the HTML pages that both apps use: an error of the API's shape in plain words."""

from typing import Any

from django.utils.translation import gettext as _

from core.errors import ApiError, TooManyRequests


def error_text(exc: ApiError) -> str:
    """An ApiError in plain words, with the wait or the attempts left when there is one.

    ``attempts_left`` is a field of the one error shape (core.api_docs), so it is read from
    any error that carries it; today that is only a wrong one-time code.
    """
    text = str(exc.detail)
    if isinstance(exc, TooManyRequests):
        wait = exc.retry_after
        if exc.detail is TooManyRequests.default_detail:
            text = _("Too many requests.")
        if wait >= 120:
            text += " " + _("Try again in %(minutes)s min.") % {"minutes": -(-wait // 60)}
        else:
            text += " " + _("Try again in %(seconds)s s.") % {"seconds": wait}
    elif "attempts_left" in exc.extra:
        text += " " + _("Attempts left: %(count)s.") % {"count": exc.extra["attempts_left"]}
    return text


def first_error(errors: dict[str, Any]) -> str:
    """The first message of a serializer's errors (the page has one field per form)."""
    messages = next(iter(errors.values()))
    return str(messages[0])
