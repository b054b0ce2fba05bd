"""Write a .env from sample.env with fresh random secrets (`make env`).

sample.env carries no usable secret: its SECRET_KEY, JWT_SIGNING_KEY and POSTGRES_PASSWORD are
empty, and production refuses to start without them. This fills each with a new random value.
An existing file is never overwritten. Usage: python3 deploy/make_env.py [PATH] (default .env).
"""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "referral_system" / "settings"))
from keys import secret_problem  # noqa: E402 (plain Python: no Django needed here)

SECRETS = ("SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD")


def new_secret() -> str:
    """A URL-safe random value (it stands in DATABASE_URL as it is) production accepts."""
    while True:
        value = secrets.token_urlsafe(50)
        if secret_problem(value) is None:
            return value


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".env")
    lines = []
    for line in (ROOT / "sample.env").read_text().splitlines():
        name, sep, _ = line.partition("=")
        if sep and name in SECRETS:
            line = f"{name}={new_secret()}"
        lines.append(line)
    try:  # created readable by its owner only, before a secret is in it; never overwritten
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{target} exists; left as it is (delete it to make a new one).", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"{target}: written with fresh SECRET_KEY, JWT_SIGNING_KEY and POSTGRES_PASSWORD.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
