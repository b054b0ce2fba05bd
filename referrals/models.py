"""Referral data lives on users.User (inviter, activation time, count): one row per person.

Keeping it on the user row lets the database hold every invariant with CHECK constraints
and lets a profile be read with a single indexed query. Beside it, each activation leaves a
record for staff (``Activation``): what a reviewer of referral fraud would want to know,
written by the activation's own transaction and never shown to users.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from users.models import User


class Activation(models.Model):
    """One activation of an invite code (or one refused by its signals), as staff review it.

    The signals are read by the statement that writes the row, inside the activation's
    transaction, after it has locked the inviter: two activations of one code see each other
    in order (referrals.services.activation_record)."""

    invitee = models.ForeignKey(
        User, verbose_name=_("invitee"), on_delete=models.CASCADE, related_name="+"
    )
    inviter = models.ForeignKey(
        User,
        verbose_name=_("inviter"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # activation_inviter_idx starts with it
    )
    created_at = models.DateTimeField(_("activated at"))
    # The activating request's client network (an IPv4 /24, an IPv6 /48), never its address.
    network = models.CharField(_("network"), max_length=49, blank=True)
    shared_network = models.BooleanField(
        _("shared network"),
        help_text=_("The invitee and the inviter have sessions from one client network."),
    )
    from_inviter_network = models.BooleanField(
        _("new account from the inviter's network"),
        help_text=_(
            "The invitee's account was minutes old and the code arrived from a network of "
            "the inviter's sessions."
        ),
    )
    recent_activations = models.PositiveIntegerField(
        _("recent activations of the code"),
        help_text=_("Activations of this code in the burst window, this one included."),
    )
    close_numbers = models.PositiveIntegerField(
        _("close numbers"),
        help_text=_(
            "The inviter's number and their invitees' that are within a few of the "
            "invitee's (sequential SIM cards)."
        ),
    )
    strong = models.BooleanField(_("strong signal"))
    refused = models.BooleanField(
        _("refused"), help_text=_("Refused for a strong signal (REFERRAL_SIGNALS_BLOCK).")
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        constraints = [
            # As users.User holds it: one activation in force per person.
            models.UniqueConstraint(
                fields=["invitee"],
                condition=Q(refused=False, undone_at__isnull=True),
                name="activation_one_in_force_per_invitee",
            ),
            models.CheckConstraint(
                condition=~Q(invitee=models.F("inviter")), name="activation_not_own_inviter"
            ),
        ]
        indexes = [
            # A code's recent activations (the burst signal), newest first in the admin.
            models.Index(fields=["inviter", "created_at"], name="activation_inviter_idx"),
            models.Index(fields=["-created_at"], name="activation_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invitee_id} → {self.inviter_id}"
