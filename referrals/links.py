"""Invite links: ``/i/<CODE>``, shareable and scannable, and the reads behind their page."""

import segno
from django.http import HttpRequest
from django.urls import reverse

from core.limits import limits_held
from users.invite_codes import invite_code_normalize
from users.models import User


def invite_url(request: HttpRequest, code: str) -> str:
    """The absolute link that invites to ``code`` (on the host the request came to)."""
    return request.build_absolute_uri(reverse("page-invite-link", args=[code]))


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
    one: a miss counts against the client's link misses, so codes cannot be listed there
    (LimitExceeded once those are spent, live codes too). Misses are counted apart from failed
    activations: links any page can make a browser follow never block a real activation."""
    with limits_held(("invite_link_misses_per_ip", client_ip)) as taken:
        owner = invite_code_owner(raw_code=raw_code)
        if owner is not None:
            taken.refund()  # a link that leads somewhere costs nothing
    return owner
