"""What makes the OpenAPI document read well in generated Swift, Kotlin and TypeScript clients: component
names, an error type per operation whose `code` is the enum of that operation's codes, declared
response headers, conditional-request parameters and examples. Applied by api.openapi's
LambridgeAutoSchema; the conventions a new endpoint follows are in docs/api.md ("Adding an endpoint").
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.drainage import warn

from api.error_codes import OPERATION_ONLY_CODES, VALIDATION_ERROR
from api.openapi_examples import EXAMPLES

# The header project/logs.py answers with (api imports nothing above it; tests check they agree).
REQUEST_ID_HEADER = "X-Request-Id"

# --- Component names --------------------------------------------------------------------------

# Where the rule in component_name() would read badly: serializer name (without "Serializer") ->
# component name (before drf-spectacular adds "Request" to request bodies).
COMPONENT_NAMES: dict[str, str] = {
    "NoteFieldsInput": "NoteReplace",
    "NoteListOutput": "NotePage",
    "UploadCreateOutput": "PresignedUpload",
    "NoteSearchOutput": "NoteSearchResults",
}


def component_name(serializer_name: str, direction: str) -> str:
    """`NoteOutputSerializer` -> `Note`; `NoteCreateInputSerializer` -> `NoteCreate` (+ "Request",
    added by drf-spectacular for request bodies, so never `…RequestRequest` or `…InputRequest`)."""
    name = serializer_name.removesuffix("Serializer")
    name = COMPONENT_NAMES.get(name, name)
    name = name.removesuffix("Input").removesuffix("Output")
    if direction == "request":
        name = name.removesuffix("Request")
    return name


def pascal_case(operation_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", operation_id) if part)


# --- Errors -----------------------------------------------------------------------------------

# Inline in each body, not a component: generators make a map component an alias with a warning, and
# an inline map is the plain Map<String, List<String>> / [String: [String]] apps want.
ERROR_FIELDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "For `validation_error`: each field (or query parameter, or header) that was refused, with "
    "its messages. A message about one item of a list or of a nested object starts with its path "
    '(`"0: ..."`). Empty for every other code.',
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def operation_error_codes(operation_id: str, statuses: list[int], codes: dict[str, tuple[int, str]]) -> list[str]:
    """The codes an operation may answer: every code of each of its error statuses."""
    return [
        code
        for code, (status, _) in codes.items()
        if status in statuses and operation_id in OPERATION_ONLY_CODES.get(code, frozenset({operation_id}))
    ]


def error_components(operation_id: str, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The components of an operation's errors, by name: `<Operation>Error` ({"error": body}),
    `<Operation>ErrorBody` (code, message, fields) and `<Operation>ErrorCode` (the enum of its codes)."""
    name = pascal_case(operation_id)
    code_name, body_name, error_name = f"{name}ErrorCode", f"{name}ErrorBody", f"{name}Error"
    code = {
        "type": "string",
        "enum": codes,
        "description": f"Why `{operation_id}` failed, stable and machine-readable: branch on it (the table of "
        "codes is in the API description). New codes may be added: handle an unknown one by the HTTP status.",
    }
    body = {
        "type": "object",
        "description": f"What went wrong in `{operation_id}`: a stable code, a message for humans, and "
        "per-field messages.",
        "properties": {
            "code": {"$ref": f"#/components/schemas/{code_name}"},
            "message": {"type": "string", "description": "For humans (show or log it); its wording may change."},
            "fields": ERROR_FIELDS_SCHEMA,
        },
        "required": ["code", "message", "fields"],
    }
    error = {
        "type": "object",
        "description": f"Every error answer of `{operation_id}`, whatever its status.",
        "properties": {"error": {"$ref": f"#/components/schemas/{body_name}"}},
        "required": ["error"],
    }
    return {code_name: code, body_name: body, error_name: error}


def error_example(status: int, codes: list[str], meanings: dict[str, tuple[int, str]]) -> dict[str, Any] | None:
    """An example answer for one error status: its first code, with fields for a validation error."""
    code = next((code for code in codes if meanings[code][0] == status), None)
    if code is None:
        return None
    fields = {"headline": ["This field is required."]} if code == VALIDATION_ERROR else {}
    message = "The request is not valid; see fields." if code == VALIDATION_ERROR else meanings[code][1]
    return {"error": {"code": code, "message": message, "fields": fields}}


# --- Headers ----------------------------------------------------------------------------------

REQUEST_ID_RESPONSE_HEADER: dict[str, Any] = {
    "schema": {"type": "string"},
    "description": "This request's id (API Gateway's, the caller's valid `X-Request-Id`, or a new one): quote it "
    "when reporting a problem; every log line of the request carries it.",
}
ETAG_HEADER: dict[str, Any] = {
    "schema": {"type": "string"},
    "description": 'The note\'s version, quoted (`"3"`): send it back in `If-Match` to change the note only if '
    "nobody changed it since, or in `If-None-Match` to get 304 while it is unchanged.",
}
LOCATION_HEADER: dict[str, Any] = {
    "schema": {"type": "string"},
    "description": "The path of the note: `/api/v1/notes/{noteId}`.",
}
IF_NONE_MATCH_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The `ETag` the app holds (e.g. `"3"`): the answer is 304 without a body while the note is '
    "still at that version.",
}

# Components whose answers carry the object's version as ETag.
VERSIONED_COMPONENTS = {"Note"}


def component_of(schema: dict[str, Any] | None) -> str | None:
    """The component a response or request schema names (the items' for a list), if any."""
    if not schema:
        return None
    if schema.get("type") == "array":
        return component_of(schema.get("items"))
    reference = schema.get("$ref", "")
    return reference.rsplit("/", 1)[-1] if reference.startswith("#/components/schemas/") else None


def response_headers(status: int, component: str | None, *, versioned_operation: bool) -> dict[str, Any]:
    """The headers an answer declares: the request id always; ETag (and Location on 201) for a note."""
    headers: dict[str, Any] = {REQUEST_ID_HEADER: REQUEST_ID_RESPONSE_HEADER}
    if component in VERSIONED_COMPONENTS or (versioned_operation and status in (304, 412)):
        headers["ETag"] = ETAG_HEADER
    if status == 201 and component in VERSIONED_COMPONENTS:
        headers["Location"] = LOCATION_HEADER
    return headers


# --- Examples ---------------------------------------------------------------------------------


def example_for(schema: dict[str, Any] | None, where: str) -> Any:
    """The example of the component a body names (api/openapi_examples.py); a warning if it has none."""
    component = component_of(schema)
    if component is None:
        return None
    if component not in EXAMPLES:
        warn(f"{where}: no example for the component {component!r}; add one to api/openapi_examples.py.")
        return None
    example = EXAMPLES[component]
    return [example] if schema and schema.get("type") == "array" else example


# --- Shared enums in query parameters ---------------------------------------------------------


def _override_enums() -> dict[tuple[str, ...], str]:
    """ENUM_NAME_OVERRIDES' components by their sorted values."""
    from drf_spectacular.plumbing import deep_import_string
    from drf_spectacular.settings import spectacular_settings

    enums: dict[tuple[str, ...], str] = {}
    for name, choices in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        loaded = deep_import_string(choices) if isinstance(choices, str) else choices
        loaded = getattr(loaded, "choices", loaded)
        values = [choice if isinstance(choice, str) else choice[0] for choice in loaded]
        enums[tuple(sorted(values))] = name
    return enums


def reuse_enum_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: a query parameter taking a shared enum (ENUM_NAME_OVERRIDES) names its
    component instead of an inline copy (drf-spectacular extracts only body enums), so a filter and
    the field it filters on have one type in every generated client."""
    enums = _override_enums()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                name = enums.get(tuple(sorted(schema.get("enum", []))))
                if name is None:
                    continue
                schemas.setdefault(name, {"enum": schema["enum"], "type": "string"})
                description = f"Default: `{schema['default']}`." if "default" in schema else ""
                parameter["schema"] = {"$ref": f"#/components/schemas/{name}"}
                if description:
                    parameter["description"] = description
                else:
                    parameter.pop("description", None)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
