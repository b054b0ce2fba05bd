"""The admin in Russian: whole sentences, not a verbose name Russian cannot inflect."""

import pytest
from django.test import Client

from users.models import User

pytestmark = pytest.mark.django_db


def test_the_admin_speaks_russian_about_users() -> None:
    staff = User.objects.create_superuser(phone_number="+79990000078", password="x" * 20)
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = "ru"
    index = client.get("/admin/").content.decode()
    assert "Пользователи" in index
    assert "Users" not in index
    changelist = client.get("/admin/users/user/").content.decode()
    assert "Выберите пользователя для изменения" in changelist
    assert "Выберите пользователь" not in changelist
    assert "Добавить пользователя" in client.get("/admin/users/user/add/").content.decode()
