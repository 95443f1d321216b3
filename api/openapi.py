"""The OpenAPI document (drf-spectacular): conventions every API view follows, and the machinery behind them.

How to annotate an API view (one `@extend_schema` per method):

    from drf_spectacular.utils import extend_schema
    from api.openapi import error_responses

    class NoteDetailApi(APIView):
        @extend_schema(
            operation_id="note_update",          # required, stable: generated clients name methods after it
            summary="Change a note",
            request=NoteUpdateInputSerializer,
            responses={200: NoteOutputSerializer, **error_responses(404, 412)},
        )
        def patch(self, request: Request, note_id: str) -> Response: ...

- `operation_id`: `<entity>_<action>` in snake_case (`me_get`, `note_create`, `notes_search`),
  unique, never renamed once shipped. A view without one makes `spectacular --validate
  --fail-on-warn` (and the schema tests) fail.
- `request`: the input serializer as the view uses it. A PATCH serializer declares its optional
  fields `required=False` (the schema does not assume PATCH means partial).
- `responses`: the success status with its output serializer, plus `error_responses(...)` for the
  errors specific to the operation (404, 409, 412...). A status may carry its own text:
  `error_responses(404, (409, "The noteId belongs to another user."))`.
- Added automatically, never declared by hand: 401, 403 and 503 on every operation that needs a
  signed-in caller; 400, 413 and 415 on every operation with a JSON body (400 also on one with
  query parameters or headers); 429 everywhere; the
  `Retry-After` / `WWW-Authenticate` headers on them; the security scheme of every permission
  class that documents one (`openapi_security_scheme()`, e.g. the `x-api-key` requirement when
  API_KEY_REQUIRED is on). Every error answer of an operation is its own `<Operation>Error`
  component, whose `code` enum lists the codes of its statuses (api/openapi_contract.py).
- Component names come from the serializers: `NoteOutputSerializer` -> `Note`,
  `NoteCreateInputSerializer` -> `NoteCreateRequest` (openapi_contract.COMPONENT_NAMES for the rest);
  every body has an example in api/openapi_examples.py (generation warns without one).
- Views without a schema (probes, the schema itself) use `@extend_schema(exclude=True)`; plain
  Django views (/healthz, /readyz) are not in the document at all.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Protocol, runtime_checkable

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import Direction, OpenApiParameter, OpenApiResponse

from api.error_codes import ERROR_CODES
from api.openapi_contract import (
    IF_NONE_MATCH_PARAMETER,
    VERSIONED_COMPONENTS,
    component_name,
    component_of,
    error_components,
    error_example,
    example_for,
    operation_error_codes,
    response_headers,
)
from api.openapi_examples import EXAMPLES

# --- The error codes, as clients read them ----------------------------------------------------


def error_codes() -> dict[str, tuple[int, str]]:
    """Every error code the API answers with (shared and registered by the apps): code -> (status,
    what it means), by status."""
    return dict(sorted(ERROR_CODES.items(), key=lambda item: (item[1][0], item[0])))


def error_code_table() -> str:
    """The codes as a markdown table, for the document's description; codes meaning the same share a row."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for code, status_and_meaning in error_codes().items():
        grouped.setdefault(status_and_meaning, []).append(f"`{code}`")
    rows = [f"| {status} | {', '.join(codes)} | {meaning} |" for (status, meaning), codes in grouped.items()]
    return "\n".join(["| status | code | meaning |", "|---|---|---|", *rows])


# --- Error answers ----------------------------------------------------------------------------


# Why an operation may answer each status; a status may list several codes.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid request: `validation_error` (see `fields`) or `parse_error` (the body is not JSON).",
    401: "No bearer token (`not_authenticated`) or a refused one (`token_expired`: refresh and retry; "
    "`account_deleted`: the account is gone; other token codes: sign in again).",
    403: "Not allowed: `permission_denied`, `account_unavailable` (site account suspended), "
    "`api_key_invalid` (when API keys are required).",
    404: "`not_found`: no such object, or one the caller may not see.",
    409: "The request conflicts with the object's current state.",
    412: "The `If-Match` version is stale: fetch the object again, then retry.",
    413: "`request_too_large`: the body is over the size limit.",
    415: "`unsupported_media_type`: send `Content-Type: application/json`.",
    429: "`throttled`: too many requests; retry after `Retry-After` seconds.",
    503: "`service_unavailable` or `auth_unavailable`: retry after `Retry-After` seconds.",
}

_RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
}
RESPONSE_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": '`Bearer`, or `Bearer error="invalid_token", error_description="..."` for a refused token.',
        }
    },
    # A redirect to where the answer is (a large export's presigned download).
    303: {"Location": {"schema": {"type": "string", "format": "uri"}, "description": "Where to GET the answer."}},
    429: _RETRY_AFTER_HEADER,
    503: _RETRY_AFTER_HEADER,
}

AUTHENTICATED_ERRORS = (401, 403, 503)
BODY_ERRORS = (400, 413, 415)
ALWAYS_ERRORS = (429,)


def error_responses(*statuses: int | tuple[int, str]) -> dict[int, OpenApiResponse]:
    """`@extend_schema(responses=...)` entries for an operation's own errors; their body is the
    operation's `<Operation>Error` component, added with the others (api/openapi_contract.py).

    `error_responses(404, 412)` uses the standard descriptions; `(409, "why")` gives one its own.
    """
    responses = {}
    for entry in statuses:
        status, description = entry if isinstance(entry, tuple) else (entry, _standard_description(entry))
        responses[status] = OpenApiResponse(description=description)
    return responses


def _standard_description(status: int) -> str:
    return ERROR_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase


# --- Schema generation -----------------------------------------------------------------------


@runtime_checkable
class DocumentedPermission(Protocol):
    """A permission class that needs something of every call beyond authentication (e.g. an API key)."""

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]] | None:
        """(scheme name, OpenAPI security scheme) when this deployment requires it, else None."""


class LambridgeAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the conventions in this module's docstring."""

    def get_operation_id(self) -> str:
        # Reached only when the view did not name its operation (extend_schema overrides this).
        operation_id = super().get_operation_id()
        warn(
            f"{self.method} {self.path} has no explicit operation_id (it would be {operation_id!r}); "
            "add @extend_schema(operation_id=...) so generated clients keep their method names."
        )
        return operation_id

    def get_auth(self) -> list[dict[str, Any]]:
        requirements: list[dict[str, Any]] = super().get_auth()
        for permission in self.view.get_permissions():
            if not isinstance(permission, DocumentedPermission):
                continue
            scheme = permission.openapi_security_scheme()
            if scheme is None:
                continue
            name, definition = scheme
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SECURITY_SCHEMA, object=type(permission), schema=definition
                )
            )
            # One requirement object lists schemes that are ALL needed: this one goes with each option.
            requirements = [{**requirement, name: []} for requirement in requirements or [{}]]
        return requirements

    def get_serializer_name(self, serializer: Any, direction: Direction) -> str:
        return component_name(super().get_serializer_name(serializer, direction), direction)

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        # An operation that can answer 304 honours If-None-Match: generated methods must reach it.
        declared = self.get_response_serializers()
        if self.method == "GET" and isinstance(declared, dict) and 304 in declared:
            parameters.append(
                OpenApiParameter(
                    IF_NONE_MATCH_PARAMETER["name"],
                    location=OpenApiParameter.HEADER,
                    required=False,
                    description=IF_NONE_MATCH_PARAMETER["description"],
                )
            )
        return parameters

    def _get_request_body(self, direction: Direction = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)
        if body is None:
            return None
        # A body is always expected, PATCH's too (a PATCH of nothing is a client bug, not a no-op).
        body["required"] = True
        content = body.get("content", {}).get("application/json")
        # A view's own named examples win over the component's.
        if content is not None and "examples" not in content:
            example = example_for(content.get("schema"), f"{self.method} {self.path} request")
            if example is not None:
                content["example"] = example
        return body

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        # A view's own declaration of a status wins over the automatic one.
        for status in self._automatic_error_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    OpenApiResponse(description=_standard_description(status)), str(status), direction=direction
                )
        self._add_error_bodies(responses)
        # Answers of a versioned object (a note) carry its ETag, the 304 and 412 ones included.
        versioned = "412" in responses or any(
            component_of(response.get("content", {}).get("application/json", {}).get("schema")) in VERSIONED_COMPONENTS
            for response in responses.values()
        )
        for status_text, response in sorted(responses.items()):
            status = int(status_text)
            content = response.get("content", {}).get("application/json", {})
            component = component_of(content.get("schema"))
            headers = response.setdefault("headers", {})
            headers.update(response_headers(status, component, versioned_operation=versioned))
            headers.update(RESPONSE_HEADERS.get(status, {}))
            # Success bodies always have one; an error body a view declared itself (not the
            # operation's `<Operation>Error`) has one when its component does.
            declared_error = status >= 300 and component in EXAMPLES
            if (status < 300 or declared_error) and content and "example" not in content and "examples" not in content:
                example = example_for(content.get("schema"), f"{self.method} {self.path} {status}")
                if example is not None:
                    content["example"] = example
        return responses

    def _add_error_bodies(self, responses: dict[str, Any]) -> None:
        """Every error status answers the operation's own `<Operation>Error`, whose code enum lists
        exactly the codes of its statuses, with an example of each."""
        statuses = sorted(int(status) for status in responses if int(status) >= 400)
        if not statuses:
            return
        operation_id = self.get_operation_id()
        meanings = error_codes()
        codes = operation_error_codes(operation_id, statuses, meanings)
        components = error_components(operation_id, codes)
        for name, schema in components.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            )
        error_name = list(components)[-1]
        for status in statuses:
            if responses[str(status)].get("content"):
                continue  # a view's own body for this status (e.g. a 409 carrying the server's state)
            content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{error_name}"}}
            example = error_example(status, codes, meanings)
            if example is not None:
                content["example"] = example
            responses[str(status)]["content"] = {"application/json": content}

    def _automatic_error_statuses(self) -> list[int]:
        statuses = list(ALWAYS_ERRORS)
        requirements = self.get_auth()
        if requirements and {} not in requirements:
            statuses.extend(AUTHENTICATED_ERRORS)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            statuses.extend(BODY_ERRORS)
        elif self.get_override_parameters():
            # Query parameters or headers (If-Match) the operation validates.
            statuses.append(400)
        return sorted(statuses)


def add_error_code_table(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the table of error codes at the end of the description, from the code."""
    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '').rstrip()}\n\n## Error codes\n\n{error_code_table()}\n"
    return result
