"""The development SMS inbox: the latest messages a console or locmem backend kept.

``/dev/sms/`` (a page) and ``/dev/sms.json`` let a tester read a code without the server's
terminal. Both answer 404 whenever DEBUG is off, whatever backend is configured.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .sms import get_sms_backend
from .sms.base import SentSms


def inbox_available() -> bool:
    """Whether the inbox exists here: DEBUG on and a backend that keeps its messages."""
    return settings.DEBUG and get_sms_backend().recent_messages() is not None


def _messages() -> list[SentSms]:
    if not settings.DEBUG:
        raise Http404
    messages = get_sms_backend().recent_messages()
    if messages is None:
        raise Http404
    return messages


@require_GET
def sms_inbox_page(request: HttpRequest) -> HttpResponse:
    """The latest SMS, newest first, as a page."""
    return render(request, "users/dev_inbox.html", {"sms_list": _messages()})


@require_GET
def sms_inbox_json(request: HttpRequest) -> JsonResponse:
    """The latest SMS, newest first: ``{"messages": [{"time", "phone", "text"}]}``."""
    return JsonResponse(
        {
            "messages": [
                {"time": sms.sent_at.isoformat(), "phone": sms.phone, "text": sms.text}
                for sms in _messages()
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
