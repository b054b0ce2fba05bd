"""Production: DEBUG off, real secrets required, secure cookies and headers."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env
from .keys import HOW_TO_MAKE_ONE, secret_problem

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production settings.")


def _require_secret(name: str, value: str) -> str:
    problem = secret_problem(value)
    if problem:
        raise ImproperlyConfigured(f"{name} {problem}. {HOW_TO_MAKE_ONE}")
    return value


SECRET_KEY = _require_secret("SECRET_KEY", SECRET_KEY)  # noqa: F405
JWT_SIGNING_KEY = _require_secret("JWT_SIGNING_KEY", JWT_SIGNING_KEY)  # noqa: F405
if JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405

if TEST_PHONE_NUMBERS and not ALLOW_TEST_PHONE_NUMBERS:  # noqa: F405
    raise ImproperlyConfigured(
        "TEST_PHONE_NUMBERS lets anyone log in to those numbers with a fixed code: set "
        "ALLOW_TEST_PHONE_NUMBERS=True as well if that is meant (a review instance), or unset it."
    )

STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405
# The pages link only the hashed names; the unhashed copies would double the image's files.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False)
    else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# The language switch's cookie travels as the session's does (HTTPS only, unless told).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
