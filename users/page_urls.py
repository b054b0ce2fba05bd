from django.urls import path

from . import views

urlpatterns = [
    path("", views.phone_page, name="page-phone"),
    path("code/", views.code_page, name="page-code"),
    path("code/resend/", views.code_resend, name="page-code-resend"),
    path("logout/", views.logout_page, name="page-logout"),
]
