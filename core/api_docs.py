"""Swagger / ReDoc wiring (drf-yasg) and the documented error shape."""

from typing import Any

from django.conf import settings
from drf_yasg import openapi
from drf_yasg.generators import OpenAPISchemaGenerator

# The examples "Try it out" offers: the development test numbers (TEST_PHONE_NUMBERS in
# referral_system/settings/dev.py), which log in with a fixed code and are sent no SMS.
EXAMPLE_PHONE = "+79000000000"
EXAMPLE_NEW_PHONE = "+79000000001"
EXAMPLE_CODE = "000000"


# Each step "Try it out" as offered, in this order (referral_system/tests/test_docs.py runs it).
# Swagger UI keeps the line breaks of Markdown, so each paragraph and step is one line.
_WALKTHROUGH = "\n".join(
    [
        "",
        "",
        "**Try it out, in this order.** Every example works here as it stands, except where a "
        "step says what to paste.",
        f"1. `POST /auth/send-code/` with its example, `{EXAMPLE_PHONE}`.",
        f"2. `POST /auth/verify-code/` with its example (code `{EXAMPLE_CODE}`): keep the "
        "`access` and `refresh` tokens of the answer.",
        "3. *Authorize* (the padlock on the right): paste the `access` token.",
        "4. `GET /profile/`: your own invite code. `POST /profile/invite/` needs someone else's "
        "code: its example only shows the shape (404 `invite_code_not_found`), and the field "
        "says where to get a real one. `GET /profile/referrals/`: who activated your code.",
        "5. `POST /auth/token/refresh/`: paste your `refresh` over the example; the answer is a "
        "new pair (the pasted token is spent). `GET /auth/sessions/`: your logins.",
        "6. `POST /auth/logout/`: paste the newest `refresh`. The session ends and its `access` "
        "token with it: do step 2 again, then *Authorize* with the new `access` (*Logout* "
        "there first).",
        "7. `GET /profile/export/`: everything about you as a file (*Download file*).",
        "8. `POST /profile/phone/`, then `POST /profile/phone/confirm/`, each with its example: "
        f"your number is now `{EXAMPLE_NEW_PHONE}`, and the token you authorized with still "
        "works.",
        f"9. `POST /auth/send-code/` with your number now, `{EXAMPLE_NEW_PHONE}`, then "
        "`POST /profile/delete/` with its example: the account is gone, both test numbers are "
        "free and step 1 starts afresh.",
    ]
)


def _test_numbers() -> str:
    numbers = ", ".join(f"`{p}` (code `{c}`)" for p, c in settings.TEST_PHONE_NUMBERS.items())
    if not numbers:
        return ""
    text = (
        f"\n\n**Test numbers on this server:** {numbers}: no SMS is sent, the code is fixed; "
        "send-code is optional for them. Then *Authorize* with the `access` token."
    )
    examples = {EXAMPLE_PHONE: EXAMPLE_CODE, EXAMPLE_NEW_PHONE: EXAMPLE_CODE}
    if examples.items() <= settings.TEST_PHONE_NUMBERS.items():
        text += _WALKTHROUGH
    return text


API_INFO = openapi.Info(
    title="Referral System API",
    default_version="v1",
    description=(
        "Phone login with one-time SMS codes, JWT tokens, invite codes and referral lists.\n\n"
        'Every error has the shape `{"detail", "code"}`, plus `errors` for invalid input. '
        "Messages follow `Accept-Language` (ru, en); codes never change. The schema: "
        "[/swagger.json](/swagger.json); the same reference on one page: [ReDoc](/redoc/)."
        + _test_numbers()
    ),
)


class OrderedSchemaGenerator(OpenAPISchemaGenerator):
    """Lists the operations in ``path_order`` (paths under the API's base path), as a person
    uses them, and any other after them; drf-yasg's own order is alphabetical."""

    path_order: tuple[str, ...] = ()

    def get_paths_object(self, paths: dict[str, Any]) -> openapi.Paths:
        def position(path: str) -> tuple[int, str]:
            order = self.path_order
            return (order.index(path) if path in order else len(order), path)

        return openapi.Paths(paths={path: paths[path] for path in sorted(paths, key=position)})


_DETAIL = openapi.Schema(type=openapi.TYPE_STRING, description="Human-readable message.")
_CODE = openapi.Schema(type=openapi.TYPE_STRING, description="Stable machine-readable code.")


def error_schema(**extra: openapi.Schema) -> openapi.Schema:
    return openapi.Schema(
        type=openapi.TYPE_OBJECT,
        properties={"detail": _DETAIL, "code": _CODE, **extra},
        required=["detail", "code"],
    )


ERROR = error_schema()
VALIDATION_ERROR = error_schema(
    errors=openapi.Schema(
        type=openapi.TYPE_OBJECT,
        description="Messages per field.",
        additional_properties=openapi.Schema(
            type=openapi.TYPE_ARRAY, items=openapi.Schema(type=openapi.TYPE_STRING)
        ),
    )
)
RATE_LIMITED_ERROR = error_schema(
    retry_after=openapi.Schema(type=openapi.TYPE_INTEGER, description="Seconds; also Retry-After.")
)
INVALID_CODE_ERROR = error_schema(
    attempts_left=openapi.Schema(type=openapi.TYPE_INTEGER, description="Checks left."),
    errors=VALIDATION_ERROR.properties["errors"],
)


def error(description: str, schema: openapi.Schema = ERROR) -> openapi.Response:
    return openapi.Response(description, schema)


UNAUTHORIZED = error(
    "Missing, invalid, expired or revoked token (`not_authenticated`, `token_not_valid`)."
)
RATE_LIMITED = openapi.Response(
    "Too many requests (`too_many_requests`).",
    RATE_LIMITED_ERROR,
    headers={"Retry-After": {"type": "integer", "description": "Seconds to wait."}},
)
UNAVAILABLE = error("A backing service is down (`service_unavailable`).")
BAD_INPUT = "Invalid input (`invalid`, `parse_error`)."
