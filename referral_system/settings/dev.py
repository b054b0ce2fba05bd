"""Development: works with nothing set (SQLite, in-process cache, console SMS)."""

from .base import *  # noqa: F403
from .base import env, test_phone_numbers

# On unless the environment or .env says otherwise (read by base, so DEBUG=False there wins).
DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = SECRET_KEY or "django-insecure-dev-only-key-never-use-in-production"  # noqa: F405
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or "dev-only-jwt-signing-key-0123456789"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405

# One machine tests everything: per-IP limits do not count 127.0.0.1 and ::1 (said at start).
LIMITS_EXEMPT_LOOPBACK = env.bool("LIMITS_EXEMPT_LOOPBACK", default=DEBUG)
# A phone number that logs in with a fixed code and is sent no SMS (README, Swagger, Postman).
TEST_PHONE_NUMBERS = test_phone_numbers(
    env.str(
        "TEST_PHONE_NUMBERS", default="+79000000000:000000,+79000000001:000000" if DEBUG else ""
    )
)

# Static files straight from the apps (Swagger UI, admin) without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
