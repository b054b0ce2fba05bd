"""Errors of activating invite codes and reading referral pages."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApiError, NotFound


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


class InviteRefused(ApiError):
    status_code = 409
    code = "invite_refused"
    default_detail = _("This invite code cannot be activated for your account.")


class InvalidCursor(NotFound):
    default_detail = _("Invalid cursor.")
