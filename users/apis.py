"""Phone login API: thin views, each an input serializer, a service call and an output."""

import re
from typing import Any, cast

from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_docs import (
    BAD_INPUT,
    EXAMPLE_CODE,
    EXAMPLE_NEW_PHONE,
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

from .authentication import request_session_id
from .errors import SessionNotFound
from .models import User
from .otp import code_send
from .phone import MAX_INPUT_LENGTH, phone_for_sms
from .services import account_delete, phone_change_code_send, phone_change_confirm
from .sessions import session_end, session_list, sessions_end_all
from .tokens import refresh_token_revoke, refresh_token_rotate, session_rotate

CODE_RE = re.compile(r"^[0-9]{6}$", re.ASCII)
TOKEN_MAX_LENGTH = 4096


class PhoneField(serializers.CharField):
    """A phone number in any usual notation, validated to E.164."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", MAX_INPUT_LENGTH)
        kwargs.setdefault(
            "help_text", "Phone number, e.g. `+7 (999) 123-45-67`; normalised to E.164."
        )
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        text = super().to_internal_value(data)
        try:
            return phone_for_sms(text)
        except ApiError as exc:
            raise serializers.ValidationError(str(exc.detail), code=exc.code) from None


class SendCodeInput(serializers.Serializer):
    phone_number = PhoneField()

    class Meta:
        ref_name = "SendCodeInput"
        swagger_schema_fields = {"example": {"phone_number": EXAMPLE_PHONE}}


class SendCodeOutput(serializers.Serializer):
    phone_number = serializers.CharField(help_text="The number in E.164.")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_in = serializers.IntegerField(help_text="Seconds before a new code may be requested.")
    debug_code = serializers.CharField(
        required=False, help_text="Only with DEBUG on and the console SMS backend."
    )

    class Meta:
        ref_name = "SendCodeOutput"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if data["debug_code"] is None:  # absent, as documented, rather than null
            del data["debug_code"]
        return data


class VerifyCodeInput(serializers.Serializer):
    phone_number = PhoneField()
    auth_code = StrictCharField(max_length=6, help_text="The 6-digit code from the SMS.")

    class Meta:
        ref_name = "VerifyCodeInput"
        swagger_schema_fields = {
            "example": {"phone_number": EXAMPLE_PHONE, "auth_code": EXAMPLE_CODE}
        }

    def validate_auth_code(self, value: str) -> str:
        if not CODE_RE.match(value):
            raise serializers.ValidationError(_("The code is 6 digits."), code="invalid")
        return value


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()

    class Meta:
        ref_name = "TokenPair"


class VerifyCodeOutput(serializers.Serializer):
    access = serializers.CharField(source="tokens.access")
    refresh = serializers.CharField(source="tokens.refresh")
    user_id = serializers.IntegerField(source="user.pk")
    is_new_user = serializers.BooleanField()

    class Meta:
        ref_name = "VerifyCodeOutput"


class TokenField(StrictCharField):
    """A JWT as sent: any non-empty string is a token to check, and a malformed one is 401.

    Whitespace and null characters never occur in a real JWT, so they make a token that
    fails to decode (as the schema's plain string promises), not invalid input.
    """

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class RefreshInput(serializers.Serializer):
    refresh = TokenField(
        max_length=TOKEN_MAX_LENGTH,
        help_text="Your `refresh` token: verify-code's answer has it, and each refresh's answer "
        "the next one. Only the server can make one, so paste yours over the example.",
    )

    class Meta:
        ref_name = "RefreshInput"
        swagger_schema_fields = {
            "example": {"refresh": "PASTE the refresh token from verify-code's answer here"}
        }


class SessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField(help_text="When the login happened.")
    last_used_at = serializers.DateTimeField(
        help_text="The latest refresh (a browser: the latest page, within minutes)."
    )
    user_agent = serializers.CharField(
        allow_blank=True, help_text="The client's User-Agent, trimmed ('' without one)."
    )
    ip = serializers.CharField(
        allow_blank=True,
        help_text="The client's network: an IPv4 /24 or an IPv6 /48 ('' when unknown).",
    )
    current = serializers.BooleanField(help_text="The session of the token in this request.")

    class Meta:
        ref_name = "Session"


def user_agent_of(request: HttpRequest | Request) -> str:
    """The client's User-Agent header as sent ('' without one)."""
    return str(request.META.get("HTTP_USER_AGENT", ""))


INVALID_INPUT = openapi.Response(
    f"{BAD_INPUT} `invalid_phone`: not a valid number; `phone_region_not_allowed`: "
    "a country we do not serve.",
    VALIDATION_ERROR,
)
TOKEN_INVALID = error("`token_not_valid`: tampered, expired, revoked or already used.")


class PublicApi(APIView):
    """An endpoint for people who are not signed in yet (no token is read)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []


class SendCodeApi(PublicApi):
    @swagger_auto_schema(
        operation_id="auth_send_code",
        operation_summary="Send a one-time login code by SMS",
        request_body=SendCodeInput,
        responses={
            200: SendCodeOutput,
            400: INVALID_INPUT,
            429: RATE_LIMITED,
            503: error(
                "`sms_unavailable`: the SMS could not be sent; `sms_paused`: codes to new "
                "numbers of this prefix are paused for now (`Retry-After`); "
                "`service_unavailable`: a backing service is down."
            ),
        },
        security=[],
    )
    def post(self, request: Request) -> Response:
        data = SendCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        sent = code_send(phone=data.validated_data["phone_number"], client_ip=client_ip(request))
        return Response(SendCodeOutput(sent).data)


class TokenRefreshApi(PublicApi):
    @swagger_auto_schema(
        operation_id="auth_token_refresh",
        operation_summary="Trade a refresh token for a new pair of its session (the old one dies)",
        operation_description=(
            "Try it out with your own `refresh` token pasted over the example (the example "
            "itself answers 401). A refresh token works once. The one the latest rotation "
            "replaced, presented again within `JWT_REFRESH_REUSE_GRACE` seconds (10 by "
            "default; two tabs, a retry after a lost answer), gets that rotation's pair again. "
            "Any other spent token of the session (that one after the window, or an older one) "
            "is taken for a stolen copy: the whole session ends, every refresh and access "
            "token of it."
        ),
        request_body=RefreshInput,
        responses={
            200: TokenPairOutput,
            400: error(BAD_INPUT, VALIDATION_ERROR),
            401: TOKEN_INVALID,
            503: UNAVAILABLE,
        },
        security=[],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = refresh_token_rotate(
            raw=data.validated_data["refresh"],
            user_agent=user_agent_of(request),
            client_ip=client_ip(request),
        )
        return Response(TokenPairOutput(tokens).data)


class LogoutApi(PublicApi):
    @swagger_auto_schema(
        operation_id="auth_logout",
        operation_summary="Log out: end the refresh token's session",
        operation_description=(
            "Try it out with your newest `refresh` token pasted over the example (the example "
            "itself answers 401). Its refresh tokens stop working, and its access tokens at "
            "once: log in again for a new pair. Logging out of an ended session is harmless "
            "(204)."
        ),
        request_body=RefreshInput,
        responses={
            204: "Ended.",
            400: error(BAD_INPUT, VALIDATION_ERROR),
            401: TOKEN_INVALID,
            503: UNAVAILABLE,
        },
        security=[],
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        refresh_token_revoke(raw=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


SESSION_NOT_FOUND = error(
    "`session_not_found`: no such session of yours (ended, or not yours); "
    "`not_found`: the id is not a UUID."
)
SESSION_ID = openapi.Parameter(
    "session_id",
    openapi.IN_PATH,
    "A session's `id` from GET /api/auth/sessions/ (the one marked `current` is this token's: "
    "ending it ends the token you authorized with).",
    type=openapi.TYPE_STRING,
    format=openapi.FORMAT_UUID,
    required=True,
)


class SessionsApi(APIView):
    @swagger_auto_schema(
        operation_id="auth_sessions_list",
        operation_summary="Your sessions (logins), newest first; this token's is marked current",
        responses={200: SessionOutput(many=True), 401: UNAUTHORIZED, 503: UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        sessions = session_list(user_id=user.pk, current_id=request_session_id(request))
        return Response(SessionOutput(sessions, many=True).data)


class SessionApi(APIView):
    @swagger_auto_schema(
        operation_id="auth_sessions_end",
        operation_summary="End one of your sessions (its refresh and access tokens die)",
        manual_parameters=[SESSION_ID],
        responses={
            204: "Ended.",
            401: UNAUTHORIZED,
            404: SESSION_NOT_FOUND,
            503: UNAVAILABLE,
        },
    )
    def delete(self, request: Request, session_id: Any) -> Response:
        if not session_end(user_id=cast(User, request.user).pk, session_id=session_id):
            raise SessionNotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    @swagger_auto_schema(
        operation_id="auth_logout_all",
        operation_summary="Log out everywhere: end every session of yours, this one too",
        request_body=no_body,
        responses={204: "Ended.", 401: UNAUTHORIZED, 503: UNAVAILABLE},
    )
    def post(self, request: Request) -> Response:
        sessions_end_all(user_id=cast(User, request.user).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneChangeInput(serializers.Serializer):
    phone_number = PhoneField(help_text="The new number, in any usual notation.")

    class Meta:
        ref_name = "PhoneChangeInput"
        swagger_schema_fields = {"example": {"phone_number": EXAMPLE_NEW_PHONE}}


class PhoneChangeConfirmInput(VerifyCodeInput):
    class Meta:
        ref_name = "PhoneChangeConfirmInput"
        swagger_schema_fields = {
            "example": {"phone_number": EXAMPLE_NEW_PHONE, "auth_code": EXAMPLE_CODE}
        }


class PhoneChangeOutput(serializers.Serializer):
    phone_number = serializers.CharField(help_text="The account's number now, in E.164.")
    access = serializers.CharField(help_text="A fresh access token of this session.")
    refresh = serializers.CharField(help_text="A fresh refresh token of this session.")

    class Meta:
        ref_name = "PhoneChangeOutput"


class AccountDeleteInput(serializers.Serializer):
    auth_code = StrictCharField(
        max_length=6,
        help_text="A fresh code sent to the account's own number by send-code (a test number's "
        "fixed code in development).",
    )

    class Meta:
        ref_name = "AccountDeleteInput"
        swagger_schema_fields = {"example": {"auth_code": EXAMPLE_CODE}}

    validate_auth_code = VerifyCodeInput.validate_auth_code


PHONE_UNCHANGED = "`phone_unchanged`: the number is the account's already."


class PhoneChangeApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_phone_change",
        operation_summary="Change your number, step 1: send a code to the new number",
        operation_description=(
            "The same answer, limits and budgets as send-code. Whether the number belongs to "
            "another account is only told after its code is proved (step 2)."
        ),
        request_body=PhoneChangeInput,
        responses={
            200: SendCodeOutput,
            400: openapi.Response(
                f"{INVALID_INPUT.description} {PHONE_UNCHANGED}", VALIDATION_ERROR
            ),
            401: UNAUTHORIZED,
            429: RATE_LIMITED,
            503: error("`sms_unavailable`, `sms_paused`, `service_unavailable`."),
        },
    )
    def post(self, request: Request) -> Response:
        data = PhoneChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        sent = phone_change_code_send(
            user=cast(User, request.user),
            phone=data.validated_data["phone_number"],
            client_ip=client_ip(request),
        )
        return Response(SendCodeOutput(sent).data)


class PhoneChangeConfirmApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_phone_confirm",
        operation_summary="Change your number, step 2: prove the new number with its code",
        operation_description=(
            "The number becomes the account's; invite code, inviter and referrals stay. Every "
            "other session of the account ends (their access tokens at once); this one goes on "
            "with the fresh pair answered. The old number is free: it logs in as a new user."
        ),
        request_body=PhoneChangeConfirmInput,
        responses={
            200: PhoneChangeOutput,
            400: openapi.Response(
                f"`invalid_code` (with `attempts_left`); invalid input; {PHONE_UNCHANGED}",
                INVALID_CODE_ERROR,
            ),
            401: UNAUTHORIZED,
            409: error("`phone_taken`: another account holds this number."),
            429: RATE_LIMITED,
            503: UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        data = PhoneChangeConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        session_id = request_session_id(request)
        user = phone_change_confirm(
            user=cast(User, request.user),
            phone=data.validated_data["phone_number"],
            code=data.validated_data["auth_code"],
            client_ip=client_ip(request),
            keep_session=session_id,
        )
        tokens = session_rotate(user_id=user.pk, session_id=session_id)
        return Response(PhoneChangeOutput({"phone_number": user.phone_number, **tokens}).data)


class AccountDeleteApi(APIView):
    @swagger_auto_schema(
        operation_id="profile_delete",
        operation_summary="Delete your account, with a fresh code sent to your number",
        operation_description=(
            "Send a code to your own number first (send-code; a development test number needs "
            "none, its fixed code works). Every session ends, the number "
            "is erased and free to sign up again. The people you invited keep their accounts "
            "(their profile then shows no activated code); your inviter's list and count no "
            "longer include you."
        ),
        request_body=AccountDeleteInput,
        responses={
            204: "Deleted.",
            400: openapi.Response(
                "`invalid_code` (with `attempts_left`); invalid input.", INVALID_CODE_ERROR
            ),
            401: UNAUTHORIZED,
            429: RATE_LIMITED,
            503: UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        data = AccountDeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        account_delete(
            user=cast(User, request.user),
            code=data.validated_data["auth_code"],
            client_ip=client_ip(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
