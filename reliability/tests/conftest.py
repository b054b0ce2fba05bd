"""Fixtures of the live-server tests: the collected static files the pages need (the image
collects them at build time; the production settings' manifest storage refuses to render a
page without them)."""

import subprocess
import sys

import pytest

from reliability.harness import REPO, random_secret, server_env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("static"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=server_env(
            SECRET_KEY=random_secret(), JWT_SIGNING_KEY=random_secret(), STATIC_ROOT=root
        ),
        check=True,
    )
    return root
