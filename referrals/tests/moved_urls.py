"""The project's URLs under /moved/: a URLconf a test switches to (test_links.py)."""

from django.urls import include, path

urlpatterns = [path("moved/", include("referral_system.urls"))]
