"""Deployment checks of signing in."""

from typing import Any

from django.conf import settings
from django.core.checks import Info, Tags, Warning, register


@register()
def development_limits_check(app_configs: Any, **kwargs: Any) -> list[Info]:
    """Said when the server starts: loopback clients are not counted by per-IP limits."""
    if not settings.LIMITS_EXEMPT_LOOPBACK:
        return []
    return [
        Info(
            "Per-IP limits do not count 127.0.0.1 and ::1 (LIMITS_EXEMPT_LOOPBACK, on in "
            "development): test from this machine as much as you like.",
            id="users.I001",
        )
    ]


@register()
def development_debug_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Said when the development server starts with DEBUG off (a .env made for Docker, say):
    why it shows no codes, and how to get the development server back."""
    if settings.DEBUG or settings.SETTINGS_MODULE != "referral_system.settings.dev":
        return []
    return [
        Warning(
            "DEBUG is off (DEBUG=False in .env or the environment): this development server "
            "shows no codes, /dev/sms/ is off and the test numbers are off. Remove DEBUG=False "
            "to get the development server back.",
            id="users.W006",
        )
    ]


@register(Tags.security, deploy=True)
def test_phone_numbers_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Test numbers log in with a fixed code: say so while any are configured."""
    if not settings.TEST_PHONE_NUMBERS:
        return []
    return [
        Warning(
            f"{len(settings.TEST_PHONE_NUMBERS)} test phone number(s) log in with a fixed code "
            "(TEST_PHONE_NUMBERS).",
            hint="Fine for a review instance; unset TEST_PHONE_NUMBERS for real users.",
            id="users.W003",
        )
    ]


@register(Tags.security, deploy=True)
def shared_limits_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Without Redis, codes and limits live in each process: several workers, several limits."""
    if settings.REDIS_SHARED:
        return []
    return [
        Warning(
            "Neither REDIS_URL nor REDIS_SENTINELS is set: one-time codes and every rate "
            "limit live in each process.",
            hint="Set REDIS_URL (or REDIS_SENTINELS) so that every worker shares them.",
            id="users.W004",
        )
    ]


@register(Tags.security, deploy=True)
def loopback_exemption_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Behind a proxy on the same host that is not a trusted one, every client is loopback."""
    if not settings.LIMITS_EXEMPT_LOOPBACK:
        return []
    return [
        Warning(
            "LIMITS_EXEMPT_LOOPBACK is on: per-IP limits and the per-network SMS budget do "
            "not count clients seen as 127.0.0.1 or ::1.",
            hint="Unset it outside development; behind a local proxy, list the proxy in "
            "TRUSTED_PROXIES so clients are seen by their own addresses.",
            id="users.W005",
        )
    ]
