"""What drf-spectacular needs to describe the API: the bearer token scheme and the error shape
(imported by the URL map, before the schema is generated)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "hotline.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token issued with `manage.py issue_token USERNAME` (docs/api.md).",
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Stable, for programs: validation_error, not_authenticated, "
                    "permission_denied, not_found, method_not_allowed, throttled, "
                    "precondition_failed, precondition_required, idempotency_key_reused...",
                },
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "description": "Each refused field with its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
    "example": {
        "error": {
            "code": "validation_error",
            "message": "Some fields were not accepted; see fields.",
            "fields": {"region": ["Object with code=XX does not exist."]},
        }
    },
}
ERRORS = {
    "400": "The request was not accepted (see error.fields).",
    "401": "No credentials, or a token that is unknown, expired or revoked.",
    "403": "Your role may not do this.",
    "404": "No such record, or not one you may see.",
    "429": "Too many requests: wait as long as Retry-After says.",
}
IDEMPOTENCY_ERRORS = {
    "409": "A request with this Idempotency-Key is still being processed.",
    "422": "This Idempotency-Key was used for a different request.",
}
IF_MATCH_ERRORS = {
    "412": "The record changed since you read it (or If-Match names no version).",
    "428": "If-Match is missing.",
}


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: document the error shape on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            headers = {
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"
            }
            errors = dict(ERRORS)
            if "Idempotency-Key" in headers:
                errors.update(IDEMPOTENCY_ERRORS)
            if "If-Match" in headers:
                errors.update(IF_MATCH_ERRORS)
            if not operation.get("security"):
                errors.pop("401")
                errors.pop("403")
            for status, description in errors.items():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
