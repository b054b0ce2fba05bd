"""Every page, the API docs' too, keeps its scripts and styles to this site."""

import re

import pytest
from django.test import Client


@pytest.mark.parametrize("url", ["/redoc/", "/swagger/"])
def test_api_docs_pages_name_nothing_external(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == []


@pytest.mark.parametrize("url", ["/redoc/", "/swagger/", "/", "/admin/login/"])
def test_every_page_keeps_its_scripts_from_loading_other_sites(client: Client, url: str) -> None:
    """The ReDoc bundle itself asks for a CDN logo; the site's policy refuses it."""
    policy = client.get(url)["Content-Security-Policy"]
    # Directives by name: django-csp writes them in no fixed order (it varies with the hash
    # seed), so "script-src 'self';" failed whenever script-src came last.
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["img-src"] == "'self' data:"
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
