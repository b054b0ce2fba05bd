"""A session's device as people name it ("Chrome on Android", "Safari on iPhone"), read from
its User-Agent by ua-parser (the uap-core rules, kept up to date upstream), not by rules of
our own."""

from django.utils.translation import gettext as _
from ua_parser import parse

# Words ua-parser adds to a browser's name for its phone build ("Chrome Mobile iOS", "Mobile
# Safari"): the platform says it already.
_PLATFORM_WORDS = {"Mobile", "iOS"}
_APPLE_DEVICES = {"iPhone", "iPad", "iPod"}
_SYSTEM_NAMES = {"Mac OS X": "macOS"}


def _parts(user_agent: str) -> tuple[str | None, str | None]:
    """(browser, platform) as ua-parser reads them (it caches what it read); None for what
    it does not know."""
    result = parse(user_agent)
    browser = None
    if result.user_agent is not None:
        family = result.user_agent.family
        browser = " ".join(w for w in family.split() if w not in _PLATFORM_WORDS) or family
    platform = None
    if result.device is not None and result.device.family in _APPLE_DEVICES:
        platform = result.device.family
    elif result.os is not None:
        platform = _SYSTEM_NAMES.get(result.os.family, result.os.family)
    return browser, platform


def device_name(user_agent: str) -> str:
    """A readable name for the device behind ``user_agent``, in the current language: the
    browser on the platform when both are known, else what is, else the header itself
    ('' without one)."""
    if not user_agent:
        return ""
    browser, platform = _parts(user_agent)
    if browser and platform:
        return _("%(browser)s on %(platform)s") % {"browser": browser, "platform": platform}
    return browser or platform or user_agent
