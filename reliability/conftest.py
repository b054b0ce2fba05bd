"""Fixtures for the reliability tests, and the summary of the figures they proved."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from . import harness

FIGURES: list[tuple[str, str]] = []


@pytest.fixture(scope="session")
def figure() -> Callable[[str, str], None]:
    """Record a figure a test proved; all of them are printed at the end of the run."""

    def record(test: str, text: str) -> None:
        FIGURES.append((test, text))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for test, text in FIGURES:
        terminalreporter.write_line(f"{test}: {text}")
    path = os.environ.get("RELIABILITY_FIGURES_FILE")
    if path:
        Path(path).write_text("".join(f"{t}: {x}\n" for t, x in FIGURES), encoding="utf-8")


@pytest.fixture(scope="session")
def live_db() -> Iterator[str]:
    """A migrated database of our own beside DATABASE_URL's, for the server processes."""
    name = urlsplit(harness.DATABASE_URL).path.lstrip("/") + "_live"
    url = harness.with_database(harness.DATABASE_URL, name)
    harness.database_create(url)
    harness.migrate(
        harness.server_env(
            DATABASE_URL=url,
            SECRET_KEY=harness.random_secret(),
            JWT_SIGNING_KEY=harness.random_secret(),
        )
    )
    yield url
    harness.database_drop(url)


@pytest.fixture
def group_factory(live_db: str, tmp_path: Path) -> Iterator[Callable[..., harness.Group]]:
    """Start server groups (on the test database and Redis unless told); all stopped after."""
    with ExitStack() as stack:

        def make(
            db_url: str | None = None, redis_url: str | None = None, **limits: str
        ) -> harness.Group:
            return stack.enter_context(
                harness.group(db_url or live_db, redis_url or harness.REDIS_URL, tmp_path, **limits)
            )

        yield make
