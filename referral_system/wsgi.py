"""WSGI entry point; production settings unless told otherwise."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_system.settings.production")

application = get_wsgi_application()
