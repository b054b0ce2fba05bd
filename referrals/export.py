"""Everything held about an account as one JSON document: the API's download and the profile
page's ("Download my data") are this one builder, so they can never differ."""

import json
import uuid
from collections.abc import Iterator
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import serializers

from users.models import User
from users.sessions import session_list

from .selectors import activated_invite_code, referrals_all

_MOMENT = serializers.DateTimeField()  # one field for every row, not one per row


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else _MOMENT.to_representation(moment)


def export_chunks(
    *, user: User, invite_link: str, current_session: uuid.UUID | None
) -> Iterator[str]:
    """The document, its referrals streamed last (flat in memory however many);
    ``current_session`` is the asking session, marked ``current`` in the list."""
    sessions = session_list(user_id=user.pk, current_id=current_session)
    head = {
        "exported_at": _time(timezone.now()),
        "account": {
            "id": user.pk,
            "phone_number": user.phone_number,
            "invite_code": user.invite_code,
            "invite_url": invite_link,
            "date_joined": _time(user.date_joined),
            "last_login": _time(user.last_login),
        },
        "activated_invite": {
            "code": activated_invite_code(user=user),
            "activated_at": _time(user.invited_at),
        },
        "sessions": [
            {
                "id": str(s.id),
                "device": s.user_agent,
                "network": s.ip,
                "created_at": _time(s.created_at),
                "last_active": _time(s.last_used_at),
                "current": s.current,
            }
            for s in sessions
        ],
        "referrals_count": user.referrals_count,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "referrals": ['
    separator = ""
    for row in referrals_all(user_id=user.pk):
        item = {"phone_number": row.phone_number, "activated_at": _time(row.invited_at)}
        yield separator + json.dumps(item)
        separator = ","
    yield "]}\n"


def export_response(
    *, user: User, invite_link: str, current_session: uuid.UUID | None
) -> StreamingHttpResponse:
    """The document as a download (``Content-Disposition: attachment``), streamed."""
    response = StreamingHttpResponse(
        export_chunks(user=user, invite_link=invite_link, current_session=current_session),
        content_type="application/json; charset=utf-8",
    )
    name = f"referral-account-{user.invite_code}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
