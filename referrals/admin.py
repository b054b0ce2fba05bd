"""Activations in the admin, for staff who review referral fraud: each with the signals its
transaction recorded, filterable, never editable, and an action that undoes an activation
(referrals.services.activation_undo: the inviter's count follows)."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Activation
from .services import activation_undo


class _YesNoFilter(admin.SimpleListFilter):
    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def condition(self) -> dict[str, Any]:
        raise NotImplementedError

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(**self.condition())
        if self.value() == "no":
            return queryset.exclude(**self.condition())
        return queryset


class BurstFilter(_YesNoFilter):
    title = _("burst of activations")
    parameter_name = "burst"

    def condition(self) -> dict[str, Any]:
        return {"recent_activations__gte": settings.REFERRAL_SIGNAL_BURST_ACTIVATIONS}


class CloseNumbersFilter(_YesNoFilter):
    title = _("close numbers")
    parameter_name = "close"

    def condition(self) -> dict[str, Any]:
        return {"close_numbers__gt": 0}


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("in_force", _("in force")), ("refused", _("refused")), ("undone", _("undone"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "in_force":
                return queryset.filter(refused=False, undone_at__isnull=True)
            case "refused":
                return queryset.filter(refused=True)
            case "undone":
                return queryset.filter(undone_at__isnull=False)
        return queryset


@admin.register(Activation)
class ActivationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "invitee_phone",
        "inviter_phone",
        "network",
        "strong",
        "shared_network",
        "from_inviter_network",
        "recent_activations",
        "close_numbers",
        "state",
    )
    list_filter = (
        "strong",
        "shared_network",
        "from_inviter_network",
        BurstFilter,
        CloseNumbersFilter,
        StateFilter,
    )
    search_fields = ("invitee__phone_number", "inviter__phone_number", "inviter__invite_code")
    list_select_related = ("invitee", "inviter")
    ordering = ("-created_at",)
    actions = ["undo"]

    @admin.display(description=_("invitee"), ordering="invitee__phone_number")
    def invitee_phone(self, record: Activation) -> str:
        return record.invitee.phone_number

    @admin.display(description=_("inviter"), ordering="inviter__phone_number")
    def inviter_phone(self, record: Activation) -> str:
        return record.inviter.phone_number

    @admin.display(description=_("state"))
    def state(self, record: Activation) -> str:
        if record.refused:
            return str(_("refused"))
        return str(_("undone") if record.undone_at else _("in force"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written by activations only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_undo_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("referrals.change_activation"))

    @admin.action(description=_("Undo the selected activations"), permissions=["undo"])
    def undo(self, request: HttpRequest, queryset: QuerySet[Activation]) -> None:
        chosen = list(queryset.values_list("pk", flat=True))
        undone = sum(activation_undo(activation_id=pk) for pk in chosen)
        if undone:
            text = ngettext(
                "%(count)d activation undone: the invitee may activate a code again.",
                "%(count)d activations undone: the invitees may activate a code again.",
                undone,
            )
            self.message_user(request, text % {"count": undone}, messages.SUCCESS)
        if len(chosen) > undone:
            skipped = len(chosen) - undone
            text = ngettext(
                "%(count)d was not in force (refused, or undone already).",
                "%(count)d were not in force (refused, or undone already).",
                skipped,
            )
            self.message_user(request, text % {"count": skipped}, messages.WARNING)
