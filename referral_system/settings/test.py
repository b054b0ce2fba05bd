"""Tests: development settings with an SMS outbox and fast password hashing.

DATABASE_URL / REDIS_URL switch the suite onto real PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SMS_BACKEND", "users.sms.locmem.LocmemBackend")
os.environ.setdefault("LANGUAGE_CODE", "en")

from .dev import *  # noqa: F403

# The production limits: the tests of the loopback exemption turn it on themselves.
LIMITS_EXEMPT_LOOPBACK = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
