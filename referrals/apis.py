"""Profile and invite-code API."""

import functools
import json
import re
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from referral_system.api_docs import (
    RATE_LIMITED,
    UNAUTHORIZED,
    UNAVAILABLE,
    VALIDATION_ERROR,
    error,
)
from referral_system.client_ip import client_ip
from referral_system.errors import TokenNotValid
from users.apis import StrictCharField
from users.authentication import access_token_user_id, bearer_token

from .invite_codes import INPUT_MAX_LENGTH
from .selectors import Profile, Referral, profile_read, referral_page
from .services import invite_code_activate

_PAGE_SIZE = re.compile(r"^[0-9]{1,4}$", re.ASCII)


MAX_PAGE_SIZE = 1000
_PAGE_SIZE_ERROR = f"A whole number from 1 to {MAX_PAGE_SIZE}."


def page_size_of(request: Request) -> int:
    """The asked page size; anything but one whole number from 1 to 1000 is refused."""
    values = request.query_params.getlist("page_size")
    if not values:
        return settings.REFERRALS_PAGE_SIZE
    if (
        len(values) > 1
        or not _PAGE_SIZE.match(values[0])
        or not 1 <= int(values[0]) <= MAX_PAGE_SIZE
    ):
        raise serializers.ValidationError({"page_size": [_PAGE_SIZE_ERROR]})
    return int(values[0])


def cursor_link(url: str, cursor: str | None) -> str | None:
    """``url`` pointing at ``cursor`` (other query parameters kept), or None without one."""
    return replace_query_param(url, "cursor", cursor) if cursor else None


class ProfileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    phone_number = serializers.CharField()
    invite_code = serializers.CharField(help_text="This user's own code, to share.")
    activated_invite_code = serializers.CharField(
        allow_null=True, help_text="The code this user activated, if any."
    )
    date_joined = serializers.DateTimeField()
    referrals_count = serializers.IntegerField(
        help_text="How many people activated this user's code."
    )
    referrals = serializers.ListField(
        child=serializers.CharField(), help_text="Their phone numbers, newest first (first page)."
    )
    referrals_next = serializers.URLField(
        allow_null=True, help_text="The next page of /api/profile/referrals/, if there is more."
    )

    class Meta:
        ref_name = "Profile"


class ReferralItem(serializers.Serializer):
    phone_number = serializers.CharField()
    activated_at = serializers.DateTimeField(source="invited_at")

    class Meta:
        ref_name = "Referral"


def iso_datetime(moment: datetime, zone: tzinfo) -> str:
    """What DRF's DateTimeField gives (ISO 8601 in the current time zone, UTC as "Z"), with
    the zone looked up once by the caller: DRF looks it up for each value, ~30 us a row."""
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def referral_items(referrals: list[Referral]) -> list[dict[str, str]]:
    """``ReferralItem``s as plain data, as its serializer would give them (a test holds them
    equal)."""
    zone = timezone.get_current_timezone()
    return [
        {"phone_number": r.phone_number, "activated_at": iso_datetime(r.invited_at, zone)}
        for r in referrals
    ]


class ReferralPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReferralItem(many=True)

    class Meta:
        ref_name = "ReferralPage"


class InviteInput(serializers.Serializer):
    invite_code = StrictCharField(
        max_length=INPUT_MAX_LENGTH,
        help_text="Someone else's code; case, spaces and hyphens do not matter, O reads as 0.",
    )

    class Meta:
        ref_name = "InviteInput"


@functools.cache
def _referrals_path(script_prefix: str) -> str:
    return reverse("profile-referrals")


def _profile_head(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "phone_number": profile.phone_number,
        "invite_code": profile.invite_code,
        "activated_invite_code": profile.activated_invite_code,
        "date_joined": iso_datetime(profile.date_joined, timezone.get_current_timezone()),
        "referrals_count": profile.referrals_count,
    }


def _profile_next(request: HttpRequest, profile: Profile) -> str | None:
    if not profile.next_cursor:
        return None
    path = _referrals_path(get_script_prefix())  # the cursor is URL-safe: no quoting needed
    return request.build_absolute_uri(f"{path}?cursor={profile.next_cursor}")


def profile_body(request: HttpRequest, profile: Profile) -> dict[str, Any]:
    return {
        **_profile_head(profile),
        "referrals": profile.referrals,
        "referrals_next": _profile_next(request, profile),
    }


# DRF's JSONRenderer writes compact UTF-8 JSON; one encoder, not one built per call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def profile_json(request: HttpRequest, profile: Profile) -> str:
    """``profile_body`` as DRF's renderer writes it (a test holds the bytes equal), with the
    page of phone numbers put in as the database wrote it: already a compact JSON array."""
    head = _compact(_profile_head(profile))[:-1]  # without its closing brace
    next_url = _compact(_profile_next(request, profile))
    return f'{head},"referrals":{profile.referrals_json},"referrals_next":{next_url}}}'


def profile_of(user_id: int) -> Profile:
    profile = profile_read(user_id=user_id, size=settings.REFERRALS_PAGE_SIZE)
    if profile is None:  # deleted since the request was authenticated
        raise TokenNotValid()
    return profile


# Accept values for which DRF's negotiation (one renderer: compact JSON) can only pick JSON.
_JSON_RANGES = frozenset({"*/*", "application/*", "application/json"})


def _wants_plain_json(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT")
    if not accept:
        return True
    if ";" in accept:  # parameters (q=, indent=...): DRF's negotiation decides
        return False
    return any(media.strip() in _JSON_RANGES for media in accept.split(","))


def profile_response(request: HttpRequest) -> HttpResponse | None:
    """The profile of a valid token's active user, without DRF's request cycle; None when
    anything is not plain (no or bad token, unknown or disabled user, other Accept), so the
    full cycle answers it, errors included, exactly as before.

    This is the most-read endpoint: one token check, one statement, one short ``json.dumps``.
    """
    if not _wants_plain_json(request):
        return None
    try:
        token = bearer_token(request)
        if token is None:
            return None
        user_id = access_token_user_id(token)
    except (TokenNotValid, exceptions.AuthenticationFailed):
        return None
    profile = profile_read(user_id=user_id, size=settings.REFERRALS_PAGE_SIZE)
    if profile is None or not profile.is_active:
        return None
    response = HttpResponse(profile_json(request, profile), content_type="application/json")
    response["Allow"] = "GET, HEAD, OPTIONS"
    return response


class ProfileApi(APIView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET":
            response = profile_response(request)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    @swagger_auto_schema(
        operation_id="profile_read",
        operation_summary="The signed-in user's profile and first page of referrals",
        responses={200: ProfileOutput, 401: UNAUTHORIZED, 503: UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        return Response(profile_body(request, profile_of(request.user.pk)))  # type: ignore[arg-type]


class ReferralsApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_referrals",
        operation_summary="Everyone who activated the user's code, newest first (cursor pages)",
        manual_parameters=[
            openapi.Parameter(
                "cursor", openapi.IN_QUERY, "From `next`/`previous`.", type=openapi.TYPE_STRING
            ),
            openapi.Parameter(
                "page_size",
                openapi.IN_QUERY,
                "1 to 1000 (default 100).",
                type=openapi.TYPE_INTEGER,
                minimum=1,
                maximum=1000,
            ),
        ],
        responses={
            200: ReferralPage,
            400: error(
                "`invalid`: `page_size` is not a whole number from 1 to 1000.", VALIDATION_ERROR
            ),
            401: UNAUTHORIZED,
            404: error("`not_found`: the cursor is not valid."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request) -> Response:
        page = referral_page(
            user_id=request.user.pk,  # type: ignore[arg-type]
            size=page_size_of(request),
            cursor=request.query_params.get("cursor"),
        )
        url = request.build_absolute_uri()
        return Response(
            {
                "next": cursor_link(url, page.next_cursor),
                "previous": cursor_link(url, page.previous_cursor),
                "results": referral_items(page.results),
            }
        )


class InviteActivateApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_invite_activate",
        operation_summary="Activate someone's invite code (once per user)",
        request_body=InviteInput,
        responses={
            200: openapi.Response(
                "Activated, or the same code again (nothing changes).", ProfileOutput
            ),
            400: openapi.Response(
                "`invalid`: not a possible code, or bad input; `own_invite_code`: your own code.",
                VALIDATION_ERROR,
            ),
            401: UNAUTHORIZED,
            404: error("`invite_code_not_found`: no user has this code."),
            409: error(
                "`invite_code_already_activated`: you activated another code before; "
                "`invite_cycle`: the code's owner was invited by you, directly or not."
            ),
            429: RATE_LIMITED,
            503: UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        data = InviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        invite_code_activate(
            user=request.user,  # type: ignore[arg-type]
            raw_code=data.validated_data["invite_code"],
            client_ip=client_ip(request),
        )
        return Response(profile_body(request, profile_of(request.user.pk)))  # type: ignore[arg-type]
