"""Invite links: ``/i/<CODE>``, shareable and scannable, and the reads behind their page."""

import functools
from urllib.parse import quote

import segno
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

from users.invite_codes import invite_code_normalize
from users.models import User

RFC3986_SAFE = RFC3986_SUBDELIMS + "/~:@"
_SLOT = "CODE"  # reverse()'s stand-in for the code, in the path it builds once


@functools.lru_cache(maxsize=16)
def _invite_path_around(script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """The invite link's path before and after its code, as ``reverse()`` builds it under
    this script prefix and URLconf: every profile shows a link, and ``reverse()`` was the
    largest piece of the profile's output serializer (bench/README.md, "Where the profile's
    time goes")."""
    before, _, after = reverse("page-invite-link", args=[_SLOT], urlconf=urlconf).rpartition(_SLOT)
    return before, after


def invite_url(request: HttpRequest, code: str) -> str:
    """The absolute link that invites to ``code`` (on the host the request came to)."""
    before, after = _invite_path_around(get_script_prefix(), get_urlconf())
    # Quoted as reverse() quotes an argument (a code's letters and digits need none).
    return request.build_absolute_uri(f"{before}{quote(code, safe=RFC3986_SAFE)}{after}")


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
