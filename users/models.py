import secrets
import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .invite_codes import invite_code_generate
from .managers import UserManager


class User(AbstractBaseUser, PermissionsMixin):
    """A person, known by phone number, with their own invite code and at most one inviter."""

    phone_number = models.CharField(_("phone number"), max_length=16, unique=True)
    invite_code = models.CharField(
        _("invite code"), max_length=6, unique=True, default=invite_code_generate, editable=False
    )
    invited_by = models.ForeignKey(
        "self",
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        # Deleting a user leaves their invitees' accounts, without the activation
        # (users.services.users_delete clears both fields first, under its locks).
        on_delete=models.SET_NULL,
        related_name="referrals",
        editable=False,
        db_index=False,  # user_referrals_idx starts with it
    )
    invited_at = models.DateTimeField(
        _("invite activated at"), null=True, blank=True, editable=False
    )
    # Kept by the activation transaction itself, so a profile never counts a long list.
    referrals_count = models.PositiveIntegerField(_("referrals"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone_number"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=~Q(invited_by=F("id")), name="user_not_own_inviter"),
            models.CheckConstraint(
                condition=Q(invited_by__isnull=True, invited_at__isnull=True)
                | Q(invited_by__isnull=False, invited_at__isnull=False),
                name="user_inviter_and_time_together",
            ),
            models.CheckConstraint(
                condition=Q(referrals_count__gte=0), name="user_referrals_count_gte_0"
            ),
            # What users.phone and users.invite_codes produce, held by the database too:
            # an import or a raw write cannot store another spelling of a number or a code.
            models.CheckConstraint(
                condition=Q(phone_number__regex=r"^\+[1-9][0-9]{1,14}$"), name="user_phone_e164"
            ),
            models.CheckConstraint(
                condition=Q(invite_code__regex=r"^[0-9A-HJKMNP-TV-Z]{6}$"),
                name="user_invite_code_crockford",
            ),
        ]
        indexes = [
            # The referral list, newest first, read straight from the index.
            # (PostgreSQL covers phone_number too, for index-only scans.)
            models.Index(
                fields=["invited_by", "invited_at", "id"],
                include=["phone_number"],
                name="user_referrals_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.phone_number


def _new_jti() -> str:
    return secrets.token_hex(16)


class LoginSession(models.Model):
    """One login (verify-code or the page's code form) and everything that came from it: the
    refresh tokens rotated from its first one and their access tokens, or one browser's
    cookie session. Ending it is deleting the row; a token whose session row is gone is
    refused."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The login, the latest refresh, or (a browser) the latest page seen, within minutes.
    last_used_at = models.DateTimeField(default=timezone.now)
    # When its newest refresh token (or the browser's cookie) expires; purged after that.
    expires_at = models.DateTimeField(db_index=True)
    # The refresh-token chain, bounded however often it rotates (users.tokens): the live
    # token's jti, the one the last rotation replaced, and when that rotation happened.
    refresh_jti = models.CharField(max_length=32, default=_new_jti, editable=False)
    replaced_jti = models.CharField(max_length=32, blank=True, editable=False)
    refreshed_at = models.DateTimeField(default=timezone.now, editable=False)
    user_agent = models.CharField(max_length=200, blank=True)
    # The client's network, never its address: an IPv4 /24 or an IPv6 /48.
    network = models.CharField(max_length=49, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="loginsession_user_idx")]

    def __str__(self) -> str:
        return str(self.pk)
