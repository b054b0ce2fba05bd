"""Profile and invite-code API: thin views, each an input, a service or selector, an output."""

import re
from typing import cast

from django.conf import settings
from django.http import HttpResponseBase, QueryDict
from django.urls import reverse
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.api_docs import (
    EXAMPLE_CODE,
    EXAMPLE_PHONE,
    INVALID_CODE_ERROR,
    RATE_LIMITED,
    UNAUTHORIZED,
    UNAVAILABLE,
    VALIDATION_ERROR,
    error,
)
from core.client_ip import client_ip
from core.errors import ApiError
from core.fields import StrictCharField
from core.limits import limits_take
from users.apis import (
    PublicApi,
    VerifyCodeInput,
    VerifyCodeOutput,
    user_agent_of,
)
from users.authentication import request_session_id
from users.invite_codes import INPUT_MAX_LENGTH
from users.models import User
from users.services import user_login
from users.tokens import session_token_pair

from .errors import InvalidCursor
from .export import export_response
from .links import invite_url
from .selectors import profile_read, referral_page
from .services import invite_code_activate

MAX_PAGE_SIZE = settings.REFERRALS_MAX_PAGE_SIZE
_PAGE_SIZE = re.compile(r"^[0-9]{1,4}$", re.ASCII)
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


def cursor_of(query: QueryDict) -> str | None:
    """The page's cursor, if one is asked for: exactly one, as the server wrote it (``?cursor=``
    with nothing, or given twice, is refused as any other cursor it did not write)."""
    values = query.getlist("cursor")
    if not values:
        return None
    if len(values) > 1 or not values[0]:
        raise InvalidCursor()
    return values[0]


def cursor_link(url: str, cursor: str | None) -> str | None:
    """``url`` pointing at ``cursor`` (other query parameters kept), or None without one."""
    return replace_query_param(url, "cursor", cursor) if cursor else None


class CursorLinkField(serializers.URLField):
    """A page's cursor, shown as the link that fetches it: the URL named ``url_name``, or the
    request's own (its other query parameters kept), with ``?cursor=``."""

    def __init__(self, url_name: str | None = None, **kwargs: object) -> None:
        self.url_name = url_name
        super().__init__(allow_null=True, read_only=True, **kwargs)  # type: ignore[arg-type]

    def to_representation(self, cursor: str) -> str:
        request = self.context["request"]
        url = reverse(self.url_name) if self.url_name else None
        return replace_query_param(request.build_absolute_uri(url), "cursor", cursor)


class InviteLinkField(serializers.URLField):
    """An invite code, shown as the absolute link that shares it (``/i/<CODE>``)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(read_only=True, **kwargs)  # type: ignore[arg-type]

    def to_representation(self, code: str) -> str:
        return invite_url(self.context["request"], code)


class ProfileOutput(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    phone_number = serializers.CharField(source="user.phone_number")
    invite_code = serializers.CharField(
        source="user.invite_code", help_text="This user's own code, to share."
    )
    invite_url = InviteLinkField(
        source="user.invite_code", help_text="The same code as a link to share: /i/<CODE>."
    )
    activated_invite_code = serializers.CharField(
        allow_null=True, help_text="The code this user activated, if any."
    )
    date_joined = serializers.DateTimeField(source="user.date_joined")
    referrals_count = serializers.IntegerField(
        source="user.referrals_count", help_text="How many people activated this user's code."
    )
    referrals = serializers.ListField(
        child=serializers.CharField(), help_text="Their phone numbers, newest first (first page)."
    )
    referrals_next = CursorLinkField(
        "profile-referrals",
        source="next_cursor",
        help_text="The next page of /api/profile/referrals/, if there is more.",
    )

    class Meta:
        ref_name = "Profile"


class ReferralOutput(serializers.Serializer):
    phone_number = serializers.CharField()
    activated_at = serializers.DateTimeField(source="invited_at")

    class Meta:
        ref_name = "Referral"


class ReferralPageOutput(serializers.Serializer):
    next = CursorLinkField(source="next_cursor")
    previous = CursorLinkField(source="previous_cursor")
    results = ReferralOutput(many=True)

    class Meta:
        ref_name = "ReferralPage"


class InviteInput(serializers.Serializer):
    invite_code = StrictCharField(
        max_length=INPUT_MAX_LENGTH,
        help_text="Someone else's invite code: the `invite_code` of their profile, or the end "
        "of their invite link (/i/<CODE>); case, spaces and hyphens do not matter, O reads as 0. "
        "The example only shows the shape (404 `invite_code_not_found`). To try it in "
        "development, sign in on this site's home page in a private window with another "
        "number (the code page links to the SMS inbox) and copy the invite code its profile "
        "shows.",
    )

    class Meta:
        ref_name = "InviteInput"
        swagger_schema_fields = {"example": {"invite_code": "7KQ2MX"}}


def _profile_response(request: Request) -> Response:
    profile = profile_read(user=request.user, size=settings.REFERRALS_PAGE_SIZE)  # type: ignore[arg-type]
    return Response(ProfileOutput(profile, context={"request": request}).data)


class ProfileApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_read",
        operation_summary="The signed-in user's profile and first page of referrals",
        responses={200: ProfileOutput, 401: UNAUTHORIZED, 503: UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        return _profile_response(request)


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
                f"1 to {MAX_PAGE_SIZE} (default {settings.REFERRALS_PAGE_SIZE}).",
                type=openapi.TYPE_INTEGER,
                minimum=1,
                maximum=MAX_PAGE_SIZE,
            ),
        ],
        responses={
            200: ReferralPageOutput,
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
            cursor=cursor_of(request.query_params),
        )
        return Response(ReferralPageOutput(page, context={"request": request}).data)


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
                "`invite_cycle`: the code's owner was invited by you, directly or not; "
                "`invite_refused`: refused for a fraud signal (only with REFERRAL_SIGNALS_BLOCK)."
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
        return _profile_response(request)


class SignUpInput(VerifyCodeInput):
    invite_code = StrictCharField(
        max_length=INPUT_MAX_LENGTH,
        required=False,
        help_text="Optional: someone else's invite code (see POST /api/profile/invite/ for where "
        "to get one), activated right after the login.",
    )

    class Meta:
        ref_name = "VerifyCodeInput"
        swagger_schema_fields = {
            "example": {"phone_number": EXAMPLE_PHONE, "auth_code": EXAMPLE_CODE}
        }


class InviteResultOutput(serializers.Serializer):
    activated = serializers.BooleanField(help_text="Whether the code is now the user's inviter's.")
    code = serializers.CharField(
        required=False, help_text="Why not: the error code POST /api/profile/invite/ gives."
    )
    detail = serializers.CharField(required=False, help_text="Why not, in words.")

    class Meta:
        ref_name = "InviteResult"


class SignUpOutput(VerifyCodeOutput):
    invite = InviteResultOutput(
        required=False, help_text="Only when `invite_code` was sent: what became of it."
    )

    class Meta:
        ref_name = "VerifyCodeOutput"


def _invite_result(user: User, raw_code: object, ip: str) -> dict[str, object]:
    """An invite activated for a user who just logged in: the login stands whatever the
    answer, which carries the same codes as the invite endpoint's errors."""
    try:
        invite_code_activate(user=user, raw_code=raw_code, client_ip=ip)
    except ApiError as exc:
        return {"activated": False, "code": exc.code, "detail": str(exc.detail)}
    return {"activated": True}


class VerifyCodeApi(PublicApi):
    @swagger_auto_schema(
        operation_id="auth_verify_code",
        operation_summary="Log in with the code; the first login creates the user",
        operation_description=(
            "With `invite_code`, the code is activated right after the login, by the rules "
            "and with the error codes of POST /api/profile/invite/ (for anyone who has not "
            "activated one yet). The login stands whatever becomes of the invite; `invite` "
            "says what did."
        ),
        request_body=SignUpInput,
        responses={
            200: SignUpOutput,
            400: openapi.Response(
                "`invalid_code`: wrong, expired or never sent (with `attempts_left`); "
                "or invalid input (`invalid`, `invalid_phone`).",
                INVALID_CODE_ERROR,
            ),
            403: error("`user_inactive`: the account is disabled."),
            429: RATE_LIMITED,
            503: UNAVAILABLE,
        },
        security=[],
    )
    def post(self, request: Request) -> Response:
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        ip = client_ip(request)
        login = user_login(
            phone=data.validated_data["phone_number"],
            code=data.validated_data["auth_code"],
            client_ip=ip,
            user_agent=user_agent_of(request),
            lifetime=jwt_settings.REFRESH_TOKEN_LIFETIME,
        )
        output: dict[str, object] = {
            "tokens": session_token_pair(session=login.session),
            "user": login.user,
            "is_new_user": login.is_new_user,
        }
        if data.validated_data.get("invite_code"):
            output["invite"] = _invite_result(login.user, data.validated_data["invite_code"], ip)
        return Response(SignUpOutput(output).data)


class ProfileExportApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_export",
        operation_summary="Download everything held about your account (a JSON document)",
        operation_description=(
            "Account, the code you activated and when, your sessions (device, network, "
            "created, last active) and every referral (phone, when), streamed. "
            "`EXPORT_PER_USER_HOUR` downloads an hour (10 by default)."
        ),
        responses={
            200: openapi.Response("The document, as a download (`Content-Disposition`)."),
            401: UNAUTHORIZED,
            429: RATE_LIMITED,
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        user = cast(User, request.user)
        limits_take(("export_per_user", str(user.pk)))
        return export_response(
            user=user,
            invite_link=invite_url(request, user.invite_code),
            current_session=request_session_id(request),
        )
