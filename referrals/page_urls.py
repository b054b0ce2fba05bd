from django.urls import path, re_path

from . import views

urlpatterns = [
    path("profile/", views.profile_page, name="page-profile"),
    path("profile/invite/", views.invite_page, name="page-invite"),
    path("profile/export/", views.export_page, name="page-export"),
    # /i/<CODE>, with or without a trailing slash (links get copied both ways).
    re_path(r"^i/(?P<code>[^/]+)/?$", views.invite_link_page, name="page-invite-link"),
]
