"""OpenAPI post-processing: every operation documents the error answers it can give
(so clients and the schemathesis fuzzing know them), and every POST documents the
Idempotency-Key header."""

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
            if method == "post":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(IDEMPOTENCY_PARAMETER)
    return result
