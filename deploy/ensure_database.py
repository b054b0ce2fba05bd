"""Create the PostgreSQL database that DATABASE_URL names when it does not exist yet
(`make migrate`, and so `make run`). Nothing to do on SQLite, the default.

Reads DATABASE_URL as the settings do (the environment, then a .env beside manage.py, or
ENV_FILE). A server that cannot be reached is said in one line, never a traceback.
"""

import os
import sys
from pathlib import Path

import environ
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql", "postgis")


def main() -> int:
    environ.Env.read_env(os.environ.get("ENV_FILE", str(ROOT / ".env")), overwrite=False)
    url = os.environ.get("DATABASE_URL", "")
    if url.split("://", 1)[0] not in POSTGRES_SCHEMES:
        return 0
    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    server = {
        key.lower(): str(config[key])
        for key in ("HOST", "PORT", "USER", "PASSWORD")
        if config.get(key)
    }
    server["connect_timeout"] = "5"
    where = f"{server.get('host', 'localhost')}:{server.get('port', 5432)}"
    try:
        psycopg.connect(make_conninfo("", dbname=name, **server)).close()
        return 0
    except psycopg.OperationalError as exc:
        if f'database "{name}" does not exist' not in str(exc):
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            print(
                f"PostgreSQL at {where} cannot be used ({reason}). Start it, fix DATABASE_URL, "
                "or unset DATABASE_URL to run on SQLite.",
                file=sys.stderr,
            )
            return 1
    try:
        with psycopg.connect(
            make_conninfo("", dbname="postgres", **server), autocommit=True
        ) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"Could not create the database {name!r} on {where}: {exc}".strip(), file=sys.stderr)
        return 1
    print(f"Created the PostgreSQL database {name!r} on {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
