from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile_page, name="page-profile"),
    path("profile/invite/", views.invite_page, name="page-invite"),
]
