from typing import Any

from rest_framework.test import APIClient


def activate(client: APIClient, code: object, **extra: Any) -> Any:
    return client.post("/api/profile/invite/", {"invite_code": code}, format="json", **extra)
