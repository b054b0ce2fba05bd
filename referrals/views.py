"""The profile page (own invite code and link, activation, referrals in cursor pages, the
account's data to download) and the invite link's page, ``/i/<CODE>``."""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.client_ip import client_ip
from core.errors import ApiError
from core.limits import LimitExceeded, limits_take
from core.pages import error_text, first_error
from users.invite_codes import invite_code_normalize
from users.models import User
from users.pages import login_session_of, signed_in_page
from users.sessions import session_list

from .apis import InviteInput, cursor_link, cursor_of
from .errors import InvalidCursor
from .export import export_response
from .links import invite_link_owner, invite_qr_svg, invite_url
from .selectors import activated_invite_code, referral_page
from .services import invite_code_activate

# The code of the invite link this browser followed, offered on the profile until it is
# activated or cannot be (it survives the login: Django keeps session data across login()).
SESSION_INVITE_OFFER = "invite_offer"
# A failed activation's message and input, shown once by the profile it redirects to.
SESSION_INVITE_FAILURE = "invite_failure"
ACTIVATION_SECTION = "#activation"


def _offer(request: HttpRequest, user: User, activated_code: str | None) -> str | None:
    """The followed link's code, if this user can still activate it; else say why not."""
    code: str | None = request.session.get(SESSION_INVITE_OFFER)
    if code is None:
        return None
    if code != user.invite_code and activated_code is None:
        return code
    del request.session[SESSION_INVITE_OFFER]
    if code == user.invite_code:
        messages.info(request, _("The invite link you followed is your own. Share it!"))
    elif code != activated_code:
        messages.info(
            request,
            _(
                "You followed an invite link with the code %(code)s, but you have already "
                "activated the code %(activated)s: an account can activate only one."
            )
            % {"code": code, "activated": activated_code},
        )
    return None


def _profile(
    request: HttpRequest, status: int = 200, cursor: str | None = None, **extra: Any
) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    activated_code = activated_invite_code(user=user)
    page = referral_page(
        user_id=user.pk,
        size=settings.REFERRALS_PAGE_SIZE,
        cursor=cursor,
    )
    url = request.build_absolute_uri()
    link = invite_url(request, user.invite_code)
    context = {
        "profile": user,
        "activated_code": activated_code,
        "offer_code": _offer(request, user, activated_code),
        "invite_link": link,
        "invite_qr": mark_safe(invite_qr_svg(link)),  # noqa: S308 (segno's SVG of our own URL)
        "referrals": page.results,
        "next_url": cursor_link(url, page.next_cursor),
        "previous_url": cursor_link(url, page.previous_cursor),
        "sessions": session_list(user_id=user.pk, current_id=login_session_of(request)),
        **request.session.pop(SESSION_INVITE_FAILURE, {}),
        **extra,
    }
    return render(request, "referrals/profile.html", context, status=status)


@require_GET
@signed_in_page
def profile_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's page: phone, codes, invite link and referrals."""
    try:
        return _profile(request, cursor=cursor_of(request.GET))
    except InvalidCursor:  # a cursor that was edited by hand: 404, with the first page
        messages.error(request, _("That page of the list does not exist. Here is the first one."))
        return _profile(request, 404)


@require_http_methods(["GET", "POST"])
@signed_in_page
def invite_page(request: HttpRequest) -> HttpResponse:
    """Activate someone's invite code with the API's service, then back to the profile, which
    shows the error under the field if there is one (a reload never posts again).

    A GET (an old bookmark of this address) goes back to the profile.
    """
    if request.method == "GET":
        return redirect("page-profile")
    raw = request.POST.get("invite_code", "")
    data = InviteInput(data={"invite_code": raw})
    if not data.is_valid():
        return _invite_failed(request, first_error(data.errors), raw)
    try:
        invite_code_activate(
            user=request.user,  # type: ignore[arg-type]
            raw_code=data.validated_data["invite_code"],
            client_ip=client_ip(request),
        )
    except ApiError as exc:
        if exc.status_code < 429:  # this code will never do; a limit or an outage may pass
            _forget_offer(request, data.validated_data["invite_code"])
        return _invite_failed(request, error_text(exc), raw)
    _forget_offer(request, data.validated_data["invite_code"])
    messages.success(request, _("The invite code is activated."))
    return redirect("page-profile")


def _invite_failed(request: HttpRequest, error: str, raw: str) -> HttpResponse:
    request.session[SESSION_INVITE_FAILURE] = {"invite_error": error, "invite_input": raw}
    return redirect(reverse("page-profile") + ACTIVATION_SECTION)


def _forget_offer(request: HttpRequest, raw_code: str) -> None:
    """Stop offering the followed link's code once it was tried for good."""
    offer = request.session.get(SESSION_INVITE_OFFER)
    if offer is not None and offer == invite_code_normalize(raw_code):
        del request.session[SESSION_INVITE_OFFER]


@require_GET
def invite_link_page(request: HttpRequest, code: str) -> HttpResponse:
    """``/i/<CODE>``: says the visitor was invited (never whose phone it is) and keeps the code
    for the profile's one-click offer; a signed-in visitor who can use it goes straight there.
    """
    try:
        owner = invite_link_owner(raw_code=code, client_ip=client_ip(request))
    except LimitExceeded as exc:  # too many links to no one from this client
        limited = {"state": "limited", "note": exc.wait_note()}
        response = render(request, "referrals/invite_link.html", limited, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if owner is None:
        return render(request, "referrals/invite_link.html", {"state": "unknown"}, status=404)
    context: dict[str, Any] = {"code": owner.invite_code}
    if not request.user.is_authenticated:
        request.session[SESSION_INVITE_OFFER] = owner.invite_code
        return render(request, "referrals/invite_link.html", {**context, "state": "invited"})
    user = cast(User, request.user)
    activated_code = activated_invite_code(user=user)
    if owner.pk == user.pk:
        context["state"] = "own"
    elif activated_code is not None:
        context.update(state="activated", activated_code=activated_code)
    else:
        request.session[SESSION_INVITE_OFFER] = owner.invite_code
        return redirect(reverse("page-profile") + ACTIVATION_SECTION)
    return render(request, "referrals/invite_link.html", context)


@require_GET
@signed_in_page
def export_page(request: HttpRequest) -> HttpResponseBase:
    """The "Download my data" link: the JSON document of GET /api/profile/export/, within the same
    limit (EXPORT_PER_USER_HOUR); past it, a page that says when to try again."""
    user = cast(User, request.user)
    try:
        limits_take(("export_per_user", str(user.pk)))
    except LimitExceeded as exc:
        minutes = -(-exc.retry_after // 60)
        response = render(
            request, "referrals/export_limited.html", {"minutes": minutes}, status=429
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return export_response(
        user=user,
        invite_link=invite_url(request, user.invite_code),
        current_session=login_session_of(request),
    )
