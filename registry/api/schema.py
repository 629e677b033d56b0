"""OpenAPI post-processing: every operation documents the error answers it can give
(so clients and the schemathesis fuzzing know them), and every POST documents the
Idempotency-Key header."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type
from rest_framework import serializers

from registry.api.formats import URL_DESCRIPTION, URL_PATTERN
from registry.api.pagination import MAX_OFFSET

ERROR_SCHEMA = {
    "type": "object",
    "description": '{"detail": "..."}, or for invalid input {"<field>": ["message", ...]}',
    "additionalProperties": True,
}

ERROR_RESPONSES = {
    "400": "Invalid input: each field named with its messages",
    "401": "Credentials missing, wrong or expired",
    "403": "The role lacks the right (or a second factor is required)",
    "404": "Not found, or not visible to you",
    "409": "A request with the same Idempotency-Key is still being answered",
    "412": "If-Match no longer matches: read again and retry",
    "422": "The Idempotency-Key was used with a different request",
    "429": "Too many requests: wait Retry-After seconds",
    "503": "The database is unavailable for a moment: retry after Retry-After seconds",
}

NOT_MODIFIED = "Not Modified: the ETag in If-None-Match is current; no body"

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Makes the POST safe to retry: a retry with the same key and body gets the first answer back.",
}


def document_errors_and_idempotency(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                if code in {"409", "422"} and method != "post":
                    continue
                if code == "412" and method not in {"put", "patch", "delete"}:
                    continue
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}},
                )
            if any(p.get("name") == "If-None-Match" for p in operation.get("parameters", [])):
                responses.setdefault("304", {"description": NOT_MODIFIED})
            if method == "post":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(IDEMPOTENCY_PARAMETER)
    return result


# ------------------------------------------------------------------ the constraints the API enforces

# DRF's CharField and Django's form fields refuse the NUL character in every string.
NO_NUL_PATTERN = "^[^\\x00]*$"


class RegistryAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, and a read with ?brief=true answers the brief form: the
    200 answer of a list or a retrieve of a viewset with a brief serializer is either form."""

    def get_summary(self):
        described = self._described()
        return described[0] if described else super().get_summary()

    def get_description(self):
        described = self._described()
        return described[1] if described else super().get_description()

    def _described(self) -> tuple[str, str] | None:
        """The summary and description written for client developers (registry/api/operations.py)."""
        from registry.api.operations import summary_and_description

        action = getattr(self.view, "action", None)
        if action == "partial_update" or (action is None and self.method == "PATCH"):
            action = "partial_update"
        return summary_and_description(self.get_operation_id(), self.path, action)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if getattr(self.view, "brief_serializer_class", None) and getattr(self.view, "action", None) in {
            "list",
            "retrieve",
        }:
            from registry.api.viewsets import BRIEF_PARAMETER  # the viewsets module uses this one

            parameters = [*parameters, BRIEF_PARAMETER]
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        if isinstance(field, serializers.URLField):
            # What the API checks (registry.api.formats.URLField), not the looser "uri" format.
            schema.pop("format", None)
            schema["pattern"] = URL_PATTERN
            schema.setdefault("description", URL_DESCRIPTION)
        elif isinstance(field, serializers.RelatedField) and field.allow_null:
            # DRF reads "" as null for a relation: "" clears it, as null does.
            description = schema.pop("description", "")
            if schema.get("type") == "string":
                schema.pop("minLength", None)
            else:
                schema = {"oneOf": [schema, {"type": "string", "enum": [""]}]}
            schema["description"] = f"{description.rstrip('.')}. An empty string or null: none.".lstrip(". ")
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # drf-spectacular adds "uri" for Django's URLValidator; a request URL states the pattern instead.
        for part in [schema, *schema.get("oneOf", [])]:
            if part.get("pattern") == URL_PATTERN:
                part.pop("format", None)

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        brief = getattr(self.view, "brief_serializer_class", None)
        action = getattr(self.view, "action", None)
        if not (brief and status_code == "200" and self.method == "GET" and action in {"list", "retrieve"}):
            return response
        full = self.resolve_serializer(self._get_serializer(), direction).ref
        either = {"anyOf": [full, self.resolve_serializer(brief(), direction).ref]}
        if action == "list":
            either = self._get_paginator().get_paginated_response_schema(build_array_type(either))
        for content in response.get("content", {}).values():
            content["schema"] = either
        return response


def _strings_refuse_nul(schema) -> None:
    """Every free string (no enum, format or pattern of its own) states that NUL is refused."""
    if isinstance(schema, list):
        for item in schema:
            _strings_refuse_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"enum", "format", "pattern"} & schema.keys()):
        schema["pattern"] = NO_NUL_PATTERN
    for key, value in schema.items():
        if key not in {"enum", "example", "default"}:
            _strings_refuse_nul(value)


def _uris_may_be_iris(schema) -> None:
    """Django's URLField takes (and so gives back) internationalised addresses."""
    if isinstance(schema, list):
        for item in schema:
            _uris_may_be_iris(item)
    elif isinstance(schema, dict):
        if schema.get("format") == "uri":
            schema["format"] = "iri"
        if any(isinstance(option, dict) and option.get("format") == "uri" for option in schema.get("oneOf", [])):
            schema["anyOf"] = schema.pop("oneOf")  # "" is an IRI reference too: either may match
        for value in schema.values():
            _uris_may_be_iris(value)


def _formats(schema: dict) -> set[str]:
    return {part.get("format") for part in [schema, *schema.get("anyOf", [])]} - {None}


def state_the_constraints(result, generator, request, public):
    """What the API checks, said in the schema: NUL refused in strings, the pagination bounds,
    an empty filter meaning no filter; and what it answers:
    addresses as IRIs."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _strings_refuse_nul(schema)
        else:
            _uris_may_be_iris(schema)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            _uris_may_be_iris(operation.get("responses", {}))
            # Bodies are documented as JSON: a form can give neither null nor a number nor a list of one.
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for media_type in [m for m in content if m != "application/json"]:
                    del content[media_type]
            for parameter in operation.get("parameters", []):
                schema = parameter.setdefault("schema", {})
                name, where = parameter.get("name"), parameter.get("in")
                if where == "query" and name == "limit":
                    schema.update(minimum=1)
                    parameter["description"] = "Number of results to return per page (at most 1000; more gives 1000)"
                elif where == "query" and name == "offset":
                    schema.update(minimum=0, maximum=MAX_OFFSET)
                elif where == "query" and ({"date", "date-time"} & _formats(schema)):
                    # An empty filter is no filter: "" as well as the day or moment.
                    parameter["schema"] = {"anyOf": [*schema.get("anyOf", [schema]), {"type": "string", "enum": [""]}]}
                elif where == "query" and "enum" in schema and "" not in schema["enum"]:
                    schema["enum"] = [*schema["enum"], ""]  # an empty filter is no filter
                elif where == "query" and schema.get("type") == "array":
                    _strings_refuse_nul(schema.get("items"))
                elif where in {"query", "path"}:
                    _strings_refuse_nul(schema)
    return result
