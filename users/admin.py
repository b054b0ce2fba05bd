from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import ApiError

from .models import User
from .phone import phone_normalize
from .services import user_phone_set, users_delete
from .sessions import sessions_end_all


class PhoneNumberForm(forms.ModelForm):
    """The phone number kept in E.164, as every login looks it up, however staff type it."""

    def clean_phone_number(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["phone_number"])
        except ApiError as exc:
            raise ValidationError(str(exc.detail)) from None


class UserCreationForm(PhoneNumberForm, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone_number",)


class UserChangeForm(PhoneNumberForm, BaseUserChangeForm):
    """Django's (the admin builds it for our model with the fields of ``fieldsets``)."""


class PasswordChangeForm(AdminPasswordChangeForm):
    """Writes the password column only (Django's writes the whole row it read)."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if commit:
            user.save(update_fields=["password"])
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserChangeForm
    change_password_form = PasswordChangeForm
    list_display = (
        "phone_number",
        "invite_code",
        "invited_by",
        "invited_at",
        "referrals_count",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("phone_number", "invite_code", "invited_by__phone_number")
    ordering = ("-date_joined",)
    list_select_related = ("invited_by",)
    readonly_fields = (
        "invite_code",
        "invited_by",
        "invited_at",
        "referrals_count",
        "date_joined",
        "last_login",
    )
    fieldsets = (
        (None, {"fields": ("phone_number", "password")}),
        ("Referrals", {"fields": ("invite_code", "invited_by", "invited_at", "referrals_count")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone_number", "password1", "password2")}),
    )

    # Django words these "Select %s to change" and "Add %s" with the bare verbose name, which
    # Russian cannot inflect ("Выберите пользователь"): whole sentences, translated whole.
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra_context = {"title": _("Select a user to change"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        extra_context = {"title": _("Add a user"), **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).select_related("invited_by")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # Only what the form changed: the rest of the row (an activation, the referral
            # count) may have been written since the form read it.
            fields = {f.name for f in User._meta.concrete_fields} & set(form.changed_data)
            if "phone_number" in fields:  # the number's new holder: the account's sessions end
                fields.discard("phone_number")
                user_phone_set(user_id=obj.pk, phone=obj.phone_number)
            if fields:
                obj.save(update_fields=fields)
            if "is_active" in form.changed_data and not obj.is_active:
                sessions_end_all(user_id=obj.pk)  # their tokens and browsers stop at once
        else:
            User.objects.insert(obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        users_delete(user_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users_delete(user_ids=list(queryset.values_list("pk", flat=True)))
