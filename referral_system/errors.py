"""The project's own errors: raised by services, turned into the one error shape by the API."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApiError(Exception):
    """An error a client can act on: an HTTP status, a stable code and a human message."""

    status_code = 400
    code = "invalid"
    default_detail: Any = _("Invalid request.")

    def __init__(self, detail: Any = None, **extra: Any) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.extra = extra
        super().__init__(str(self.detail))


class InvalidPhone(ApiError):
    code = "invalid_phone"
    default_detail = _("Enter a valid phone number.")


class PhoneRegionNotAllowed(ApiError):
    code = "phone_region_not_allowed"
    default_detail = _("Phone numbers of this country are not accepted.")


class InvalidCode(ApiError):
    code = "invalid_code"
    default_detail = _("The code is wrong or has expired. Request a new code if needed.")


class TooManyRequests(ApiError):
    status_code = 429
    code = "too_many_requests"
    default_detail = _("Too many requests. Try again later.")

    def __init__(self, retry_after: int, detail: Any = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, retry_after=self.retry_after)


class SmsUnavailable(ApiError):
    status_code = 503
    code = "sms_unavailable"
    default_detail = _("The SMS could not be sent. Try again later.")

    def __init__(self, detail: Any = None, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail)


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"
    default_detail = _("The service is temporarily unavailable. Try again later.")


class UserInactive(ApiError):
    status_code = 403
    code = "user_inactive"
    default_detail = _("This account is disabled.")


class TokenNotValid(ApiError):
    status_code = 401
    code = "token_not_valid"
    default_detail = _("The token is invalid, expired or revoked.")


class InviteCodeInvalid(ApiError):
    code = "invalid"
    default_detail = _("An invite code is 6 letters and digits.")


class OwnInviteCode(ApiError):
    code = "own_invite_code"
    default_detail = _("You cannot activate your own invite code.")


class InviteCodeNotFound(ApiError):
    status_code = 404
    code = "invite_code_not_found"
    default_detail = _("There is no such invite code.")


class InviteCodeAlreadyActivated(ApiError):
    status_code = 409
    code = "invite_code_already_activated"
    default_detail = _("You have already activated an invite code.")


class InviteCycle(ApiError):
    status_code = 409
    code = "invite_cycle"
    default_detail = _("This code belongs to someone you invited, directly or not.")
