"""`make migrate` creates a missing PostgreSQL database, and says in one line when it cannot."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from core.tests.helpers import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "ensure_database.py"


def run(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, ENV_FILE=str(tmp_path / "none"))
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(not ON_POSTGRES, reason="creates a database on the PostgreSQL of the run")
def test_a_missing_database_is_created_once(tmp_path: Path) -> None:
    name = f"ensure_{secrets.token_hex(4)}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        first = run(url, tmp_path)
        assert first.returncode == 0, first.stderr
        assert f"Created the PostgreSQL database '{name}'" in first.stdout
        again = run(url, tmp_path)
        assert again.returncode == 0 and again.stdout == ""
    finally:
        with psycopg.connect(
            "postgres://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_an_unreachable_server_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = run("postgres://postgres@127.0.0.1:1/nothing", tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unset DATABASE_URL to run on SQLite" in result.stderr


def test_sqlite_needs_nothing(tmp_path: Path) -> None:
    result = run("sqlite:///db.sqlite3", tmp_path)
    assert result.returncode == 0 and result.stdout == result.stderr == ""
