"""Russian and English: pages and API messages follow Accept-Language; codes never change."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from core import errors as core_errors
from referrals import errors as referral_errors
from users import errors as user_errors

LOCALE = Path(django_settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"


def send_code(language: str, phone: str = "12") -> Any:
    return APIClient().post(
        "/api/auth/send-code/",
        {"phone_number": phone},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.django_db
def test_api_error_detail_follows_accept_language_and_code_does_not() -> None:
    ru, en = send_code("ru"), send_code("en")
    assert ru.status_code == en.status_code == 400
    assert ru.json()["code"] == en.json()["code"] == "invalid_phone"
    assert ru.json()["detail"] == "phone_number: Введите правильный номер телефона."
    assert en.json()["detail"] == "phone_number: Enter a valid phone number."


@pytest.mark.django_db
def test_domain_error_in_both_languages() -> None:
    body = {"phone_number": "+79991234567", "auth_code": "123456"}
    answers = {
        lang: APIClient().post(
            "/api/auth/verify-code/", body, format="json", HTTP_ACCEPT_LANGUAGE=lang
        )
        for lang in ("ru", "en")
    }
    assert {a.json()["code"] for a in answers.values()} == {"invalid_code"}
    assert answers["ru"].json()["detail"].startswith("Неверный или просроченный код.")
    assert answers["en"].json()["detail"].startswith("The code is wrong or has expired.")


@pytest.mark.django_db
def test_drf_own_messages_are_translated_too() -> None:
    ru = APIClient().get("/api/profile/", HTTP_ACCEPT_LANGUAGE="ru")
    en = APIClient().get("/api/profile/", HTTP_ACCEPT_LANGUAGE="en")
    assert ru.status_code == en.status_code == 401
    assert ru.json()["code"] == en.json()["code"] == "not_authenticated"
    assert en.json()["detail"] == "Authentication credentials were not provided."
    assert ru.json()["detail"] != en.json()["detail"]
    assert any("\u0430" <= ch <= "\u044f" for ch in ru.json()["detail"].lower())  # Cyrillic


@pytest.mark.django_db
def test_default_language_is_the_setting(settings: Any) -> None:
    settings.LANGUAGE_CODE = "ru"
    assert send_code("").json()["detail"] == "phone_number: Введите правильный номер телефона."
    settings.LANGUAGE_CODE = "en"
    assert send_code("").json()["detail"] == "phone_number: Enter a valid phone number."


@pytest.mark.django_db
def test_language_switcher_sets_the_page_language() -> None:
    client = Client(enforce_csrf_checks=True)
    assert "Enter your phone number" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/i18n/setlang/", {"language": "ru", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response["Location"] == "/"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="ru"' in page
    assert "Введите номер телефона" in page


def test_every_api_error_has_a_russian_message() -> None:
    classes = [
        c
        for module in (core_errors, user_errors, referral_errors)
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, core_errors.ApiError)
    ]
    assert len(classes) > 10

    def details(language: str) -> list[str]:
        with translation.override(language):
            return [str(c.default_detail) for c in classes]

    untranslated = [en for ru, en in zip(details("ru"), details("en"), strict=True) if ru == en]
    assert untranslated == []


def test_po_file_is_complete() -> None:
    po = polib.pofile(str(LOCALE / "django.po"))
    assert po.percent_translated() == 100
    assert po.fuzzy_entries() == []
    assert po.obsolete_entries() == []


def test_committed_mo_file_matches_the_po_file() -> None:
    """The .mo is committed (no msgfmt needed); it must say exactly what the .po says."""
    po = polib.pofile(str(LOCALE / "django.po"))
    expected: dict[Any, str] = {}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            for n, text in entry.msgstr_plural.items():
                expected[(entry.msgid, int(n))] = text
        else:
            expected[entry.msgid] = entry.msgstr
    with (LOCALE / "django.mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    catalog = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert catalog == expected, "locale/ru/LC_MESSAGES/django.mo is stale: run compilemessages"


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="needs GNU gettext's xgettext (apt-get install gettext; .ci/pages.sh browser "
    "installs it)",
)
def test_every_translatable_string_in_the_source_is_in_the_catalog(tmp_path: Path) -> None:
    """makemessages on a copy of the sources (the committed catalog is not touched): each
    string it finds must be translated in locale/ru."""
    root = Path(django_settings.BASE_DIR)
    for name in ("core", "referral_system", "users", "referrals", "templates"):
        shutil.copytree(
            root / name, tmp_path / name, ignore=shutil.ignore_patterns("tests", "__pycache__")
        )
    shutil.copy(root / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "referral_system.settings.dev"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    found = polib.pofile(str(tmp_path / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    committed = {
        (entry.msgctxt, entry.msgid): entry
        for entry in polib.pofile(str(LOCALE / "django.po")).translated_entries()
    }
    missing = [entry.msgid for entry in found if (entry.msgctxt, entry.msgid) not in committed]
    assert len(found) > 50
    assert missing == [], f"not translated in locale/ru: {missing}"
