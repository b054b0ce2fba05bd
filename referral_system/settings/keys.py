"""What makes a secret key unusable in production; plain Python, so `make env` can use it too."""

import re

# Keys this repository has published (sample.env before `make env`, the development defaults,
# the Dockerfile's collectstatic step): anyone could sign tokens with them.
PUBLISHED_KEYS = frozenset(
    {
        "change-me-5f1c8e0b9a4d47c2b6e3f8a1d0c9b7e6a5f4d3c2b1a09f8e7d6c5b4a39281706",
        "change-me-too-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f",
        "django-insecure-dev-only-key-never-use-in-production",
        "dev-only-jwt-signing-key-0123456789",
        "collectstatic-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF",
        "collectstatic-only-jwt-abcdefghijklmnopqrstuvwxyz-0123456789",
    }
)
# A key holding this many characters in a row of a published one is that key, trimmed or
# dressed up ("change-me-" cut off, a suffix added). A random key shares 16 characters with
# one of these by chance less than once in 10^20 tries.
PUBLISHED_PIECE = 16
_PUBLISHED_PIECES = frozenset(
    key[i : i + PUBLISHED_PIECE].lower()
    for key in PUBLISHED_KEYS
    for i in range(len(key) - PUBLISHED_PIECE + 1)
)
# What people write where a key should go: a word such as "change-me" or "example" standing
# on its own, or a run of the alphabet or the digits. A random key has neither (a random
# 67-character key has about one chance in 50,000 of holding such a word: make another).
PLACEHOLDER_WORDS = re.compile(
    r"(?:^|[^a-z])(?:change|changeme|placeholder|example|insecure|dummy|sample|secret|replace|"
    r"your|fake|test|only|default|todo|xxxx)(?:[^a-z]|$)",
    re.IGNORECASE,
)
ALPHABET_RUN = re.compile(r"0123456|1234567|abcdefg|bcdefgh|zyxwvut|9876543", re.IGNORECASE)
HOW_TO_MAKE_ONE = (
    "Make one with `make env` (writes a .env with fresh random keys) or "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`."
)


def secret_problem(value: str) -> str | None:
    """Why ``value`` cannot be a production key, or None when it can."""
    if len(value) < 50 or len(set(value)) < 10:
        return "must be set to a random value of at least 50 characters in production"
    published = "must be set to a random value: this one is published in this repository"
    if value in PUBLISHED_KEYS:
        return published
    if PLACEHOLDER_WORDS.search(value) or ALPHABET_RUN.search(value):
        return "must be set to a random value: this one looks like a placeholder"
    if _holds_published_piece(value):
        return published
    return None


def _holds_published_piece(value: str) -> bool:
    """Whether ``value`` holds ``PUBLISHED_PIECE`` characters in a row of a published key
    (letter case aside)."""
    lowered = value.lower()
    return any(
        lowered[i : i + PUBLISHED_PIECE] in _PUBLISHED_PIECES
        for i in range(len(lowered) - PUBLISHED_PIECE + 1)
    )
