"""Invite codes: six Crockford base32 characters, drawn with ``secrets``, read forgivingly."""

import re
import secrets

# Crockford's base32: digits and letters without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6
INPUT_MAX_LENGTH = 32
_CANONICAL = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def invite_code_generate() -> str:
    """A fresh random code; uniqueness is the database's job (see UserManager.insert)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def invite_code_normalize(raw: object) -> str | None:
    """The canonical form of what a person typed, or None if it cannot be a code.

    Case-insensitive; spaces and hyphens ignored; O is read as 0, I and L as 1.
    """
    if not isinstance(raw, str) or len(raw) > INPUT_MAX_LENGTH or not raw.isascii():
        return None
    code = re.sub(r"[\s\-]", "", raw).upper().translate(_READ_AS)
    return code if _CANONICAL.match(code) else None
