"""The profile page: own invite code, activation form, referrals in cursor pages."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.client_ip import client_ip
from core.errors import ApiError
from users.views import error_text, first_error

from .apis import InviteInput, cursor_link
from .errors import InvalidCursor
from .selectors import activated_invite_code, referral_page
from .services import invite_code_activate


def _profile(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    page = referral_page(
        user_id=user.pk,  # type: ignore[arg-type]
        size=settings.REFERRALS_PAGE_SIZE,
        cursor=request.GET.get("cursor"),
    )
    url = request.build_absolute_uri()
    context = {
        "profile": user,
        "activated_code": activated_invite_code(user=user),  # type: ignore[arg-type]
        "referrals": page.results,
        "next_url": cursor_link(url, page.next_cursor),
        "previous_url": cursor_link(url, page.previous_cursor),
        **extra,
    }
    return render(request, "referrals/profile.html", context, status=status)


@require_GET
@login_required(login_url="page-phone", redirect_field_name=None)
def profile_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's page: phone, codes and referrals."""
    try:
        return _profile(request)
    except InvalidCursor:  # a cursor that was edited by hand
        messages.error(request, _("That page of the list does not exist. Here is the first one."))
        return redirect("page-profile")


@require_POST
@login_required(login_url="page-phone", redirect_field_name=None)
def invite_page(request: HttpRequest) -> HttpResponse:
    """Activate someone's invite code with the API's service; errors shown on the profile."""
    raw = request.POST.get("invite_code", "")
    data = InviteInput(data={"invite_code": raw})
    if not data.is_valid():
        return _profile(request, 400, invite_error=first_error(data.errors), invite_input=raw)
    try:
        invite_code_activate(
            user=request.user,  # type: ignore[arg-type]
            raw_code=data.validated_data["invite_code"],
            client_ip=client_ip(request),
        )
    except ApiError as exc:
        return _profile(request, exc.status_code, invite_error=error_text(exc), invite_input=raw)
    messages.success(request, _("The invite code is activated."))
    return redirect("page-profile")
