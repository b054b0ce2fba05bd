"""Reads about referrals: the list of people who activated a user's code."""

from django.db.models import QuerySet

from users.models import User


def referral_list(*, user: User) -> QuerySet[User]:
    """Who activated ``user``'s code, newest first, served by user_referrals_idx."""
    return (
        User.objects.filter(invited_by_id=user.pk)
        .order_by("-invited_at", "-id")
        .only("id", "phone_number", "invited_at")
    )
