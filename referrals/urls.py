from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.ProfileApi.as_view(), name="profile"),
    path("invite/", apis.InviteActivateApi.as_view(), name="profile-invite"),
    path("referrals/", apis.ReferralsApi.as_view(), name="profile-referrals"),
]
