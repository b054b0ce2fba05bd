"""WSGI entry point; production settings unless told otherwise."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_system.settings.production")

application = get_wsgi_application()

# Build the SMS backend now, so wrong SMS settings stop start-up rather than the first login.
from users.sms import get_sms_backend  # noqa: E402

get_sms_backend()
