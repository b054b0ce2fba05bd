"""A published key trimmed or dressed up is still published: production refuses any key that
holds 16 characters in a row of one (issue 25)."""

import secrets
from pathlib import Path

import pytest

from referral_system.settings.keys import (
    PUBLISHED_KEYS,
    PUBLISHED_PIECE,
    _holds_published_piece,
    secret_problem,
)

from .test_production import made_env, manage, scanned_keys

PUBLISHED = "must be set to a random value: this one is published in this repository"
SAMPLE_KEY = "change-me-5f1c8e0b9a4d47c2b6e3f8a1d0c9b7e6a5f4d3c2b1a09f8e7d6c5b4a39281706"


def _random() -> str:
    return secrets.token_urlsafe(40)


def test_the_sample_key_without_its_prefix_is_refused(tmp_path: Path) -> None:
    trimmed = SAMPLE_KEY.removeprefix("change-me-")
    assert secret_problem(trimmed) == PUBLISHED
    result = manage(made_env(tmp_path), "check", SECRET_KEY=trimmed)
    assert result.returncode != 0
    assert f"SECRET_KEY {PUBLISHED}" in result.stderr


@pytest.mark.parametrize("key", sorted(PUBLISHED_KEYS | scanned_keys()))
def test_a_piece_of_any_published_key_inside_a_random_one_is_refused(key: str) -> None:
    for start in range(0, len(key) - PUBLISHED_PIECE + 1, 7):
        piece = key[start : start + PUBLISHED_PIECE]
        # Refused: as published, or as a placeholder first where the piece is a run such as
        # "0123456789abcdef".
        assert secret_problem(_random() + piece + _random()) is not None, piece
        assert secret_problem(_random() + piece.upper() + _random()) is not None, piece


def test_random_keys_are_not_taken_for_published_ones() -> None:
    # The piece check alone: the placeholder-word check may rightly catch a random key that
    # happens to spell one ("test" in 108 random characters), which is not this test's point.
    keys = (_random() + _random() for _ in range(2000))
    assert [key for key in keys if _holds_published_piece(key)] == []
