"""The operator's view of the SMS pumping breaker in the admin (staff only): the last day per
destination prefix, codes sent and verified, whether the prefix is paused for new numbers,
and resuming it (core.limits.breaker_resume)."""

import logging
import math
import re

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.limits import breaker_report, breaker_resume

from .otp import PUMPING, pumping_guard_on

logger = logging.getLogger(__name__)

_PREFIX = re.compile(r"\+[0-9]{1,15}")


def sms_prefixes(request: HttpRequest, site: admin.AdminSite) -> HttpResponse:
    """GET: the table; POST ``prefix``: resume it, then back to the table."""
    if request.method == "POST":
        prefix = request.POST.get("prefix", "")
        if _PREFIX.fullmatch(prefix) and len(prefix) == settings.SMS_BUDGET_PREFIX_LENGTH:
            breaker_resume(PUMPING, prefix)
            logger.warning(
                "SMS to new numbers of %s resumed by staff (user %s)", prefix, request.user.pk
            )
            messages.success(
                request,
                _("Codes to new numbers of %(prefix)s are sent again.") % {"prefix": prefix},
            )
        return redirect("admin:sms_prefixes")
    rows = [
        {
            "prefix": row.subject,
            "sent": row.attempts,
            "verified": row.successes,
            "percent": None if row.ratio is None else round(100 * row.ratio),
            "paused_minutes": math.ceil(row.paused_for / 60),
        }
        for row in breaker_report(PUMPING)
    ]
    context = {
        **site.each_context(request),
        "title": _("SMS by destination prefix"),
        "rows": rows,
        "guard_on": pumping_guard_on(),
        "min_sends": settings.SMS_PUMPING_MIN_SENDS,
        "min_percent": round(100 * settings.SMS_PUMPING_MIN_VERIFIED_RATIO),
        "window_minutes": settings.SMS_PUMPING_WINDOW // 60,
    }
    return TemplateResponse(request, "admin/sms_prefixes.html", context)
