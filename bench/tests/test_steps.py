"""bench/steps.sh's probe views answer, so the tool cannot rot between benchmark runs."""

import pytest

from referral_system.testing import ON_POSTGRES, auth_client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("bench.steps_urls"),
    pytest.mark.skipif(not ON_POSTGRES, reason="prepared statements: CI's PostgreSQL pass"),
]


def test_every_step_answers_as_the_profile_does(user) -> None:
    api = auth_client(user)
    for path in [
        "/steps/bare/",
        "/steps/token/",
        "/steps/round-trip/",
        f"/steps/read/?user={user.pk}",
    ]:
        assert api.get(path).status_code == 200, path
    built = api.get(f"/steps/read-json/?user={user.pk}")
    assert built.content == api.get("/api/profile/").content
