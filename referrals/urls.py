from django.urls import path

from users import apis as users_apis

from . import apis

urlpatterns = [
    path("", apis.ProfileApi.as_view(), name="profile"),
    path("invite/", apis.InviteActivateApi.as_view(), name="profile-invite"),
    path("referrals/", apis.ReferralsApi.as_view(), name="profile-referrals"),
    path("export/", apis.ProfileExportApi.as_view(), name="profile-export"),
    path("phone/", users_apis.PhoneChangeApi.as_view(), name="profile-phone"),
    path(
        "phone/confirm/", users_apis.PhoneChangeConfirmApi.as_view(), name="profile-phone-confirm"
    ),
    path("delete/", users_apis.AccountDeleteApi.as_view(), name="profile-delete"),
]
