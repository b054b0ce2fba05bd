"""Settings shared by every environment; every value can come from the environment."""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from referral_system.logs import PLAIN_FORMAT

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is read if present; the real environment wins over it.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)


def _int_between(name: str, default: int, low: int, high: int) -> int:
    """A whole number from the environment, refused at start outside ``low``..``high`` (a
    value that would otherwise fail requests later)."""
    value = env.int(name, default=default)
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be a whole number from {low} to {high}.")
    return value


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "referral_system.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_yasg",
    "users",
    "referrals",
]

MIDDLEWARE = [
    "core.middleware.ErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.PrivateResponsesMiddleware",  # outside those that set cookies
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.LoginSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Nothing is loaded from another site, on any page (ours, the admin, Swagger UI, ReDoc, whose
# bundle would show a logo from its vendor's CDN). Inline styles stay allowed: Swagger UI and
# ReDoc set them from their scripts; scripts only from our own static files.
CONTENT_SECURITY_POLICY = {
    # The API's JSON is never rendered as a page. Only prefixes can be left out here, so the
    # probes keep the policy too: "/healthz" would leave out every page under "/healthz...".
    "EXCLUDE_URL_PREFIXES": ["/api/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "referral_system.urls"
WSGI_APPLICATION = "referral_system.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite beside the code unless DATABASE_URL says otherwise -----------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts: concurrent activations
    # serialise instead of failing with "database is locked" half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # SQLite has no covering indexes; the referral index works there without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that needs no round trip while the
        # connection's socket is quiet (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
    if DATABASES["default"]["ENGINE"] == "core.postgresql" and env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        # Statements a connection runs again and again (the user, the profile) are parsed
        # and planned once (psycopg prepares a statement on its 5th run, through Django's
        # supported OPTIONS; bench/README.md, "Prepared statements"). Off behind a pooler
        # in transaction mode (PgBouncer 1.18 keeps no prepared statements).
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
# Passwords (staff, in the admin) and SMS codes (the HTML pages: users.backends).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "users.backends.SmsCodeBackend",
]

# --- Cache and atomic counters: Redis when REDIS_URL is set, else one in this process ------
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL or "redis://in-process",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="rs"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
            "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=1.0),
            "CONNECTION_POOL_KWARGS": {"health_check_interval": 15},
        },
    }
}
# Or Redis behind Sentinel: the master is asked of the sentinels (host:port list) on every new
# connection, so a failover needs no restart (docs/SCALING.md says what a failover can lose).
REDIS_SENTINELS = env.list("REDIS_SENTINELS", default=[])
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="mymaster")
REDIS_SENTINEL_PASSWORD = env.str("REDIS_SENTINEL_PASSWORD", default="")
REDIS_PASSWORD = env.str("REDIS_PASSWORD", default="")
REDIS_DB = env.int("REDIS_DB", default=0)
# A spent code counts once this many replicas have its deletion (WAIT, up to
# REDIS_WAIT_TIMEOUT ms): a failover right after a login cannot bring the code back.
REDIS_WAIT_REPLICAS = env.int("REDIS_WAIT_REPLICAS", default=0)
REDIS_WAIT_TIMEOUT = env.int("REDIS_WAIT_TIMEOUT", default=100)


def _sentinel_address(value: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(f"REDIS_SENTINELS: {value!r} is not host:port.")
    return host.strip("[]"), int(port)


if REDIS_SENTINELS:
    if REDIS_URL:
        raise ImproperlyConfigured("Set REDIS_URL or REDIS_SENTINELS, not both.")
    _sentinel_timeouts = {
        "socket_connect_timeout": CACHES["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"],
        "socket_timeout": CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"],
    }
    CACHES["default"]["LOCATION"] = f"redis://{REDIS_SENTINEL_MASTER}/{REDIS_DB}"
    CACHES["default"]["OPTIONS"].update(
        CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
        SENTINELS=[_sentinel_address(s) for s in REDIS_SENTINELS],
        SENTINEL_KWARGS=(
            {**_sentinel_timeouts, "password": REDIS_SENTINEL_PASSWORD}
            if REDIS_SENTINEL_PASSWORD
            else _sentinel_timeouts
        ),
    )
    if REDIS_PASSWORD:
        CACHES["default"]["OPTIONS"]["PASSWORD"] = REDIS_PASSWORD
# Whether codes and limits live in a Redis server that every process shares.
REDIS_SHARED = bool(REDIS_URL or REDIS_SENTINELS)
if not REDIS_SHARED:
    # No Redis server: fakeredis in this process, running the same Lua (core/redis.py).
    import fakeredis

    CACHES["default"]["OPTIONS"]["CONNECTION_POOL_KWARGS"] = {
        "connection_class": fakeredis.FakeRedisConnection
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages -------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ru")
# The language switch's cookie: read by the server only, never sent by another site's request.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")  # collectstatic writes here
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Bodies larger than this are refused with 413 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024)

# --- REST framework and JWT ----------------------------------------------------------------
RENDERERS = ["rest_framework.renderers.JSONRenderer"]
if env.bool("BROWSABLE_API", default=False):
    RENDERERS.append("rest_framework.renderers.BrowsableAPIRenderer")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": RENDERERS,
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_LIFETIME", default=15 * 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_LIFETIME", default=30 * 24 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": False,  # our own one-step revocation, see users/tokens.py
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "LEEWAY": 0,
}

# A spent refresh token presented again within this many seconds of its spending is only
# refused (two tabs, a retried request); later, it ends its session (users/tokens.py).
JWT_REFRESH_REUSE_GRACE = env.int("JWT_REFRESH_REUSE_GRACE", default=10)
# Sessions (logins) a user may hold at once; a login beyond that ends the least recently used.
AUTH_SESSIONS_PER_USER = env.int("AUTH_SESSIONS_PER_USER", default=100)

SWAGGER_SETTINGS = {
    "SECURITY_DEFINITIONS": {
        "Bearer": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "description": "The `access` token from verify-code (`Bearer ` in front or not).",
        }
    },
    "USE_SESSION_AUTH": False,
    "DEFAULT_INFO": "core.api_docs.API_INFO",
    # Bodies open on their example (what "Try it out" sends), not on the model's types.
    "DEFAULT_MODEL_RENDERING": "example",
    # The schema's address under the title: /swagger.json rather than ?format=openapi.
    "SPEC_URL": ("schema-json", {"format": ".json"}),
}

# --- Phone login and one-time codes ---------------------------------------------------------
# Region codes as phonenumbers spells them (upper case), however they are written here.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="RU").upper()
PHONE_ALLOWED_REGIONS = [r.upper() for r in env.list("PHONE_ALLOWED_REGIONS", default=["RU"])]
SMS_BACKEND = env.str("SMS_BACKEND", default="users.sms.console.ConsoleBackend")
# Real SMS through SMS Aero; its credentials are read (and required) only when it is selected.
ENABLE_SMS = env.bool("ENABLE_SMS", default=False)
SMSAERO_EMAIL = SMSAERO_API_KEY = ""
if ENABLE_SMS:
    SMS_BACKEND = "users.sms.smsaero.SmsAeroBackend"
    for _name in ("SMSAERO_EMAIL", "SMSAERO_API_KEY"):
        if not env.str(_name, default=""):
            raise ImproperlyConfigured(f"ENABLE_SMS=True needs {_name} to be set.")
    SMSAERO_EMAIL = env.str("SMSAERO_EMAIL")
    SMSAERO_API_KEY = env.str("SMSAERO_API_KEY")
SMSAERO_SIGN = env.str("SMSAERO_SIGN", default="SMS Aero")
SMSAERO_TEST_MODE = env.bool("SMSAERO_TEST_MODE", default=False)
SMSAERO_URL_GATE = env.str("SMSAERO_URL_GATE", default="")
SMSAERO_TIMEOUT = env.int("SMSAERO_TIMEOUT", default=10)
# Only for users.sms.file.FileBackend (tests and development): where sent messages go.
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default="")
# The login SMS ends with "@<domain> #<code>" for WebOTP (users/sms/message.py); empty: the
# first allowed host that names one host. The Android SMS Retriever app hash is optional.
SMS_WEBOTP_DOMAIN = env.str("SMS_WEBOTP_DOMAIN", default="")
SMS_RETRIEVER_APP_HASH = env.str("SMS_RETRIEVER_APP_HASH", default="")


def test_phone_numbers(value: str) -> dict[str, str]:
    """``TEST_PHONE_NUMBERS``: ``+79000000000:000000,...`` as {E.164 number: its fixed code}."""
    numbers = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        phone, _, code = pair.partition(":")
        if not re.fullmatch(r"\+[1-9][0-9]{6,14}", phone) or not re.fullmatch(r"[0-9]{6}", code):
            raise ImproperlyConfigured(
                f"TEST_PHONE_NUMBERS: {pair!r} is not an E.164 number, a colon and 6 digits."
            )
        numbers[phone] = code
    return numbers


# Numbers that log in with a fixed code and are sent no SMS (reviewers, Postman, demos). The
# production settings refuse them unless ALLOW_TEST_PHONE_NUMBERS is set too.
TEST_PHONE_NUMBERS = test_phone_numbers(env.str("TEST_PHONE_NUMBERS", default=""))
ALLOW_TEST_PHONE_NUMBERS = env.bool("ALLOW_TEST_PHONE_NUMBERS", default=False)
AUTH_CODE_TIMEOUT = env.int("AUTH_CODE_TIMEOUT", default=300)
AUTH_CODE_MAX_ATTEMPTS = env.int("AUTH_CODE_MAX_ATTEMPTS", default=5)
AUTH_CODE_RESEND_INTERVAL = env.int("AUTH_CODE_RESEND_INTERVAL", default=60)
# Codes and failed checks per phone an hour from one client network (an IPv4 /24, an IPv6
# /48); from all networks together, AUTH_CODE_PHONE_NETWORKS times as many: a stranger
# hammering someone's number spends their own network's share, and the owner has the rest.
AUTH_CODE_SENDS_PER_PHONE_HOUR = env.int("AUTH_CODE_SENDS_PER_PHONE_HOUR", default=5)
AUTH_CODE_FAILURES_PER_PHONE_HOUR = env.int("AUTH_CODE_FAILURES_PER_PHONE_HOUR", default=20)
AUTH_CODE_PHONE_NETWORKS = _int_between("AUTH_CODE_PHONE_NETWORKS", 2, 1, 100)
AUTH_SEND_PER_IP_HOUR = env.int("AUTH_SEND_PER_IP_HOUR", default=30)
AUTH_VERIFY_PER_IP_HOUR = env.int("AUTH_VERIFY_PER_IP_HOUR", default=60)
SMS_DAILY_BUDGET = env.int("SMS_DAILY_BUDGET", default=10_000)  # the whole site's, per UTC day
# Narrower budgets that run out first: per client network (/24, /48) and per destination
# prefix (the number's first SMS_BUDGET_PREFIX_LENGTH characters: "+7999" by default).
# A code verified gives its network's SMS back: that budget counts codes nobody proved.
SMS_DAILY_BUDGET_PER_NETWORK = env.int("SMS_DAILY_BUDGET_PER_NETWORK", default=100)
SMS_DAILY_BUDGET_PER_PREFIX = env.int("SMS_DAILY_BUDGET_PER_PREFIX", default=2_000)
# Known numbers (a code proved within 90 days: users/otp.py) are never stopped by those two
# (they count in them), and this share of the site's budget (percent) is theirs alone.
SMS_DAILY_BUDGET_KNOWN_SHARE = _int_between("SMS_DAILY_BUDGET_KNOWN_SHARE", 20, 0, 100)
# "+7" at least; E.164 has 16 characters at most.
SMS_BUDGET_PREFIX_LENGTH = _int_between("SMS_BUDGET_PREFIX_LENGTH", 5, 2, 16)
# The pumping breaker (users/otp.py): over the last SMS_PUMPING_WINDOW seconds, a prefix with
# at least SMS_PUMPING_MIN_SENDS codes sent and fewer than SMS_PUMPING_MIN_VERIFIED_RATIO of
# them verified is paused for numbers not known (503 sms_paused), for a window. Empty:
# on when the SMS backend reaches real phones; True or False force it.
SMS_PUMPING_GUARD = (
    env.bool("SMS_PUMPING_GUARD") if env.str("SMS_PUMPING_GUARD", default="") else None
)
SMS_PUMPING_WINDOW = _int_between("SMS_PUMPING_WINDOW", 3600, 300, 86400)
SMS_PUMPING_MIN_SENDS = _int_between("SMS_PUMPING_MIN_SENDS", 50, 1, 10**9)
SMS_PUMPING_MIN_VERIFIED_RATIO = env.float("SMS_PUMPING_MIN_VERIFIED_RATIO", default=0.2)
if not 0 <= SMS_PUMPING_MIN_VERIFIED_RATIO <= 1:
    raise ImproperlyConfigured("SMS_PUMPING_MIN_VERIFIED_RATIO must be from 0 to 1.")
# The reverse proxies in front of us (addresses or networks): X-Forwarded-For is believed
# only when the direct peer is one of them (core/client_ip.py). Empty: nobody's is.
try:
    TRUSTED_PROXIES = [
        str(ipaddress.ip_network(p, strict=False)) for p in env.list("TRUSTED_PROXIES", default=[])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None
# Development: per-client limits do not count loopback clients (dev.py turns it on).
LIMITS_EXEMPT_LOOPBACK = env.bool("LIMITS_EXEMPT_LOOPBACK", default=False)
# IPv6 clients are limited per network of this prefix length (one subscriber's /64).
CLIENT_IPV6_PREFIX = _int_between("CLIENT_IPV6_PREFIX", 64, 1, 128)

# --- Invite codes ------------------------------------------------------------------------------
INVITE_FAILURES_PER_USER_HOUR = env.int("INVITE_FAILURES_PER_USER_HOUR", default=10)
INVITE_FAILURES_PER_IP_HOUR = env.int("INVITE_FAILURES_PER_IP_HOUR", default=30)
# What each activation records for staff (referrals.models.Activation): an account this many
# minutes old activating from the inviter's network, this many activations of one code in
# that many minutes, numbers within this many of the invitee's. Off: recorded only; on: an
# activation with a strong signal is refused (409 invite_refused).
REFERRAL_SIGNALS_BLOCK = env.bool("REFERRAL_SIGNALS_BLOCK", default=False)
REFERRAL_SIGNAL_NEW_ACCOUNT_MINUTES = env.int("REFERRAL_SIGNAL_NEW_ACCOUNT_MINUTES", default=10)
REFERRAL_SIGNAL_BURST_ACTIVATIONS = env.int("REFERRAL_SIGNAL_BURST_ACTIVATIONS", default=5)
REFERRAL_SIGNAL_BURST_MINUTES = env.int("REFERRAL_SIGNAL_BURST_MINUTES", default=10)
REFERRAL_SIGNAL_CLOSE_NUMBERS = _int_between("REFERRAL_SIGNAL_CLOSE_NUMBERS", 10, 0, 10**6)
# Invite links (/i/<CODE>) that lead to no one, per client: apart from failed activations.
INVITE_LINK_MISSES_PER_IP_HOUR = env.int("INVITE_LINK_MISSES_PER_IP_HOUR", default=30)
# Downloads of one's own data (GET /api/profile/export/) per account.
EXPORT_PER_USER_HOUR = env.int("EXPORT_PER_USER_HOUR", default=10)
# The most a referrals page may hold (?page_size=), and the profile's and pages' default.
REFERRALS_MAX_PAGE_SIZE = 1000
REFERRALS_PAGE_SIZE = _int_between("REFERRALS_PAGE_SIZE", 100, 1, REFERRALS_MAX_PAGE_SIZE)

# --- The admin (staff sign in with a password) ---------------------------------------------
ADMIN_LOGIN_PER_IP_HOUR = env.int("ADMIN_LOGIN_PER_IP_HOUR", default=20)
ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR = env.int("ADMIN_LOGIN_FAILURES_PER_ACCOUNT_HOUR", default=10)
# Each password check is a slow hash: attempts per client network (/24, /48) and for the whole
# site, from browsers without a device cookie (more than a staff team makes), bound its CPU.
ADMIN_LOGIN_PER_NETWORK_HOUR = env.int("ADMIN_LOGIN_PER_NETWORK_HOUR", default=40)
ADMIN_LOGIN_SITE_PER_MINUTE = env.int("ADMIN_LOGIN_SITE_PER_MINUTE", default=5)
ADMIN_LOGIN_SITE_PER_HOUR = env.int("ADMIN_LOGIN_SITE_PER_HOUR", default=60)
# A browser that signed in to an account holds a device cookie for it (90 days): its failures
# count on their own, so failures from elsewhere never lock the account's owner out.
ADMIN_LOGIN_FAILURES_PER_DEVICE_HOUR = env.int("ADMIN_LOGIN_FAILURES_PER_DEVICE_HOUR", default=5)

# Logs go to stdout, masked (no phone numbers, tokens or codes); LOG_JSON=True for JSON lines.
LOG_JSON = env.bool("LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "referral_system.logs.MaskSecretsFilter"}},
    "formatters": {
        "plain": {"format": PLAIN_FORMAT},
        "json": {"()": "referral_system.logs.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["mask_secrets"],
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own lines once, through ours (its default config adds a console handler).
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["stdout"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # The client logs its request URL (with the API key) and body (with the code) at DEBUG.
        "smsaero": {"level": "WARNING"},
    },
}
