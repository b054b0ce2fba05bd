"""Swagger / ReDoc wiring (drf-yasg) and the documented error shape."""

from drf_yasg import openapi

API_INFO = openapi.Info(
    title="Referral System API",
    default_version="v1",
    description=(
        "Phone login with one-time SMS codes, JWT tokens, invite codes and referral lists.\n\n"
        'Every error has the shape `{"detail", "code"}`, plus `errors` for invalid input. '
        "Messages follow `Accept-Language` (ru, en); codes never change."
    ),
)

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
