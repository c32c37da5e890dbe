"""OpenAPI documentation helpers: shared header parameters, problem responses on every
operation, security schemes, and the spectacular extension for bearer tokens."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiTypes

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag you read, e.g. `"3"`. Missing → 428; stale → 412.',
    examples=[OpenApiExample("version 3", value='"3"')],
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID). A retry with the same key within 24 h "
    "returns the first response; the same key with a different body → 422.",
    examples=[OpenApiExample("uuid", value="0f1d9b8e-6a53-4b55-9a43-5b3c1c1f7e2a")],
)

PROBLEM_DESCRIPTIONS = {
    "400": "Malformed JSON, wrong types, unknown fields or invalid values (see `errors`).",
    "401": "No token, or an unknown, expired or revoked token.",
    "403": "Your token lacks the scope, or your organisation may not do this.",
    "404": "No such object, or not visible to your organisation.",
    "405": "Method not allowed.",
    "406": "Only application/json responses are available.",
    "409": "The state machine does not allow this now (see `reasons`).",
    "412": "If-Match names an older version: someone changed the object; read it again.",
    "413": "The request body is too large.",
    "415": "Send application/json (multipart/form-data for CSV uploads).",
    "422": "The Idempotency-Key was used before with a different request.",
    "428": "If-Match is required on this request.",
    "429": "Too many requests; wait for Retry-After seconds.",
}
READ_ERRORS = ("400", "401", "403", "404", "405", "406", "429")
WRITE_ERRORS = (*READ_ERRORS, "409", "412", "413", "415", "422", "428")


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation documents its problem+json error responses."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "Problem",
        {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "reasons": {"type": "array", "items": {"type": "string"}},
                "details": {"type": "object"},
            },
        },
    )
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = READ_ERRORS if method == "get" else WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code not in responses:
                    responses[code] = {
                        "description": PROBLEM_DESCRIPTIONS[code],
                        "content": problem,
                    }
                else:
                    responses[code].setdefault("content", problem)
    return result


def required_scope(auto_schema) -> str | None:
    view = auto_schema.view
    if not hasattr(view, "required_scope"):
        return None
    return view.required_scope(view.request)


class PolkuAutoSchema(AutoSchema):
    """What every operation's documentation derives from its view, so it cannot drift from
    what the view does: the scope its token needs (in the description), ``Idempotency-Key``
    on handlers that honour it (``idempotency.idempotent``), and the view's tag
    (``schema_tags``, e.g. "training" for enrollments and certificates)."""

    def get_tags(self):
        return list(getattr(self.view, "schema_tags", ())) or super().get_tags()

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        handler = getattr(self.view, getattr(self.view, "action", None) or "", None)
        if getattr(handler, "honours_idempotency_key", False):
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        scope = required_scope(self)
        if operation is not None and scope:
            description = operation.get("description", "")
            if f"`{scope}`" not in description:
                operation["description"] = f"{description}\n\nRequired scope: `{scope}`.".strip()
        return operation


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integration.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_requirement(self, auto_schema):
        scope = required_scope(auto_schema)  # OpenAPI 3.1: role names for non-OAuth schemes
        return {self.name: [scope] if scope else []}

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client token (`polku_…`), created by your organisation "
            "admin and shown once. Scopes limit what it can do.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "integration.api.auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A signed-in user's session (send X-CSRFToken on writes).",
        }
