"""Swagger / ReDoc wiring (drf-yasg) and the documented error shape."""

from typing import Any

from django.conf import settings
from drf_yasg import openapi
from drf_yasg.generators import OpenAPISchemaGenerator


def _test_numbers() -> str:
    numbers = ", ".join(f"`{p}` (code `{c}`)" for p, c in settings.TEST_PHONE_NUMBERS.items())
    if not numbers:
        return ""
    return (
        f"\n\n**Test numbers on this server:** {numbers}: no SMS is sent, the code is fixed; "
        "send-code is optional for them. Then *Authorize* with the `access` token."
    )


API_INFO = openapi.Info(
    title="Referral System API",
    default_version="v1",
    description=(
        "Phone login with one-time SMS codes, JWT tokens, invite codes and referral lists.\n\n"
        'Every error has the shape `{"detail", "code"}`, plus `errors` for invalid input. '
        "Messages follow `Accept-Language` (ru, en); codes never change." + _test_numbers()
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
