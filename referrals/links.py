"""Invite links: ``/i/<CODE>``, shareable and scannable, and the reads behind their page."""

import functools
from urllib.parse import quote

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

from core.limits import limits_take
from users.invite_codes import invite_code_normalize
from users.models import User

# What reverse() leaves unquoted in an argument (Django spells it inline, exports no name).
_QUOTE_SAFE = RFC3986_SUBDELIMS + "/~:@"
_SLOT = "CODE"  # reverse()'s stand-in for an invite code, in the path it builds once


@functools.lru_cache(maxsize=64)
def _reversed(url_name: str, args: tuple[str, ...], script_prefix: str, urlconf: str) -> str:
    return reverse(url_name, args=args, urlconf=urlconf)


def route_path(url_name: str, *args: str) -> str:
    """``reverse(url_name, args=args)``, remembered per script prefix and URLconf: a profile
    shows two links, and ``reverse()`` was the largest piece of its output serializer
    (bench/README.md, "Where the profile's time goes"). For routes whose arguments are few
    and fixed; an invite code goes through ``invite_url``."""
    # The URLconf by name, as reverse() finds it: a request's own, else ROOT_URLCONF (a test
    # may change it); a module's patterns do not change while the process runs.
    return _reversed(url_name, args, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def invite_url(request: HttpRequest, code: str) -> str:
    """The absolute link that invites to ``code`` (on the host the request came to)."""
    before, _, after = route_path("page-invite-link", _SLOT).rpartition(_SLOT)
    # Quoted as reverse() quotes an argument (a code's letters and digits need none).
    return request.build_absolute_uri(f"{before}{quote(code, safe=_QUOTE_SAFE)}{after}")


def invite_qr_svg(url: str) -> str:
    """``url`` as a QR code: an inline SVG element, drawn here (no external service)."""
    svg: str = segno.make(url, error="m").svg_inline(scale=4, svgclass="qr")
    return svg


def invite_code_owner(*, raw_code: object) -> User | None:
    """The user whose invite code ``raw_code`` is (read forgivingly), or None."""
    code = invite_code_normalize(raw_code)
    if code is None:
        return None
    return User.objects.only("id", "invite_code").filter(invite_code=code).first()


def invite_link_owner(*, raw_code: object, client_ip: str) -> User | None:
    """``invite_code_owner`` for the public link page, which tells a live code from a missing
    one: a miss counts against the client's failed invite attempts, as a failed activation
    does, so codes cannot be listed there (LimitExceeded once those are spent)."""
    taken = limits_take(("invite_failures_per_ip", client_ip))
    try:
        owner = invite_code_owner(raw_code=raw_code)
    except BaseException:
        taken.refund()
        raise
    if owner is not None:
        taken.refund()  # a link that leads somewhere costs nothing
    return owner
