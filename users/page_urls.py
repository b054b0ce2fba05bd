from django.urls import path

from . import dev_inbox, views

urlpatterns = [
    path("", views.phone_page, name="page-phone"),
    path("code/", views.code_page, name="page-code"),
    path("code/resend/", views.code_resend, name="page-code-resend"),
    path("logout/", views.logout_page, name="page-logout"),
    path("logout-all/", views.logout_all_page, name="page-logout-all"),
    path("sessions/<uuid:session_id>/logout/", views.session_end_page, name="page-session-end"),
    # Development only: 404 unless DEBUG is on (users/dev_inbox.py).
    path("dev/sms/", dev_inbox.sms_inbox_page, name="dev-sms-inbox"),
    path("dev/sms.json", dev_inbox.sms_inbox_json, name="dev-sms-inbox-json"),
]
