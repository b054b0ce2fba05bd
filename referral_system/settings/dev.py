"""Development: works with nothing set (SQLite, in-process cache, console SMS)."""

import os

os.environ.setdefault("DEBUG", "True")

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = SECRET_KEY or "django-insecure-dev-only-key-never-use-in-production"  # noqa: F405
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or "dev-only-jwt-signing-key-0123456789"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405

# Static files straight from the apps (Swagger UI, admin) without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
