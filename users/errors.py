"""Errors of signing in: bad numbers and codes, disabled accounts, tokens, SMS."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import ApiError, NotFound


class InvalidPhone(ApiError):
    code = "invalid_phone"
    default_detail = _("Enter a valid phone number.")


class PhoneRegionNotAllowed(ApiError):
    code = "phone_region_not_allowed"
    default_detail = _("Phone numbers of this country are not accepted.")


class PhoneNotMobile(ApiError):
    code = "phone_not_mobile"
    default_detail = _("This number cannot receive SMS. Enter a mobile number.")


class InvalidCode(ApiError):
    code = "invalid_code"
    default_detail = _("The code is wrong or has expired. Request a new code if needed.")


class PhoneUnchanged(ApiError):
    code = "phone_unchanged"
    default_detail = _("This is already your number.")


class PhoneTaken(ApiError):
    status_code = 409
    code = "phone_taken"
    default_detail = _("This number belongs to another account.")


class CodeDead(ApiError):
    code = "code_dead"
    default_detail = _(
        "This code can no longer be used: too many wrong attempts. Request a new code."
    )


class SmsUnavailable(ApiError):
    status_code = 503
    code = "sms_unavailable"
    default_detail = _("The SMS could not be sent. Try again later.")

    def __init__(self, detail: Any = None, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail)


class SmsPaused(SmsUnavailable):
    """Codes to new numbers of this destination prefix are paused (the pumping breaker)."""

    code = "sms_paused"
    default_detail = _("Codes cannot be sent to this number right now. Try again later.")


class UserInactive(ApiError):
    status_code = 403
    code = "user_inactive"
    default_detail = _("This account is disabled.")


class TokenNotValid(ApiError):
    status_code = 401
    code = "token_not_valid"
    default_detail = _("The token is invalid, expired or revoked.")


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_detail = _("No such session.")
