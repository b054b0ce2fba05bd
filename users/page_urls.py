from django.urls import path

from . import dev_inbox, views

urlpatterns = [
    path("", views.phone_page, name="page-phone"),
    path("code/", views.code_page, name="page-code"),
    path("code/resend/", views.code_resend, name="page-code-resend"),
    path("code/enter/", views.code_enter, name="page-code-enter"),
    path("logout/", views.logout_page, name="page-logout"),
    path("logout-all/", views.logout_all_page, name="page-logout-all"),
    path("sessions/<uuid:session_id>/logout/", views.session_end_page, name="page-session-end"),
    # An account's life, beside the profile (referrals.page_urls).
    path("profile/phone/", views.phone_change_page, name="page-phone-change"),
    path(
        "profile/phone/confirm/",
        views.phone_change_confirm_page,
        name="page-phone-change-confirm",
    ),
    path("profile/phone/resend/", views.phone_change_resend, name="page-phone-change-resend"),
    path("profile/delete/", views.account_delete_page, name="page-account-delete"),
    path("profile/delete/send/", views.account_delete_send, name="page-account-delete-send"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Development only: 404 unless DEBUG is on (users/dev_inbox.py).
    path("dev/sms/", dev_inbox.sms_inbox_page, name="dev-sms-inbox"),
    path("dev/sms.json", dev_inbox.sms_inbox_json, name="dev-sms-inbox-json"),
]
