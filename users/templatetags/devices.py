"""The ``device`` filter: a session's User-Agent as the device people know (users.devices)."""

from django import template

from users.devices import device_name

register = template.Library()


@register.filter
def device(user_agent: str) -> str:
    """``Mozilla/5.0 (iPhone; …) … Safari/604.1`` → ``Safari on iPhone``."""
    return device_name(user_agent)
