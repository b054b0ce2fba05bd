from django.urls import path

from . import apis

urlpatterns = [
    path("send-code/", apis.SendCodeApi.as_view(), name="auth-send-code"),
    path("token/refresh/", apis.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("logout-all/", apis.LogoutAllApi.as_view(), name="auth-logout-all"),
    path("sessions/", apis.SessionsApi.as_view(), name="auth-sessions"),
    path("sessions/<uuid:session_id>/", apis.SessionApi.as_view(), name="auth-session"),
]
