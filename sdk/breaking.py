"""Breaking changes between two OpenAPI documents, as an app built on the old one would meet them.

Our own small checker rather than oasdiff (a Go binary, not on PyPI or npm) or npm's openapi-diff
(it reports every change as breaking or not by its own rules and cannot follow what our generated
clients decode): it knows the few rules that break a shipped app, reads `$ref`s, and treats a
renamed path parameter or a trailing slash as the same route (both forms answer, SPEC §2).

Breaking: a route or method gone; a renamed operationId (generated method names); a parameter or
request field that became required or appeared required; one removed or retyped; an enum value no
longer accepted; a success status gone; a response field gone, retyped, no longer required or
newly nullable (Swift and Kotlin decoders reject a null or a missing non-optional field).
"""

from __future__ import annotations

import re
from typing import Any

Schema = dict[str, Any]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def route_key(path: str) -> str:
    """The route a client calls, whatever the parameter names and trailing slash."""
    return re.sub(r"\{[^}]+\}", "{}", path).rstrip("/") or "/"


def _resolve(document: Schema, schema: Schema | None) -> Schema:
    seen = 0
    while schema and "$ref" in schema and seen < 32:
        reference = schema["$ref"]
        node: Any = document
        for part in reference.removeprefix("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
        seen += 1
    if schema and "allOf" in schema and len(schema["allOf"]) == 1:
        # drf-spectacular wraps a $ref in allOf to add a description or nullable.
        merged = {**_resolve(document, schema["allOf"][0]), **{k: v for k, v in schema.items() if k != "allOf"}}
        return merged
    return schema or {}


def _type(schema: Schema) -> str | None:
    return schema.get("type")


def _nullable(schema: Schema) -> bool:
    types = schema.get("type")
    return bool(schema.get("nullable")) or (isinstance(types, list) and "null" in types)


class _Checker:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old, new
        self.problems: list[str] = []

    def report(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    # Requests: what the server accepts must not shrink.
    def request_schema(self, where: str, old: Schema | None, new: Schema | None, depth: int = 0) -> None:
        old_schema, new_schema = _resolve(self.old, old), _resolve(self.new, new)
        if depth > 8 or not old_schema or not new_schema:
            return
        if _type(old_schema) and _type(new_schema) and _type(old_schema) != _type(new_schema):
            self.report(where, f"type {_type(old_schema)} became {_type(new_schema)}")
            return
        if "enum" in old_schema and "enum" in new_schema:
            for value in old_schema["enum"]:
                if value not in new_schema["enum"] and value is not None:
                    self.report(where, f"the value {value!r} is no longer accepted")
        old_properties = old_schema.get("properties", {})
        new_properties = new_schema.get("properties", {})
        old_required = set(old_schema.get("required", []))
        for name, schema in new_properties.items():
            if name in set(new_schema.get("required", [])) and name not in old_required:
                self.report(f"{where}.{name}", "is now required" if name in old_properties else "new required field")
            if name in old_properties:
                self.request_schema(f"{where}.{name}", old_properties[name], schema, depth + 1)
        for name in old_properties:
            if name not in new_properties:
                self.report(f"{where}.{name}", "request field removed")
        if "items" in old_schema and "items" in new_schema:
            self.request_schema(f"{where}[]", old_schema["items"], new_schema["items"], depth + 1)

    # Responses: what the server sends must keep every promise the old document made.
    def response_schema(self, where: str, old: Schema | None, new: Schema | None, depth: int = 0) -> None:
        old_schema, new_schema = _resolve(self.old, old), _resolve(self.new, new)
        if depth > 8 or not old_schema or not new_schema:
            return
        if _type(old_schema) and _type(new_schema) and _type(old_schema) != _type(new_schema):
            self.report(where, f"type {_type(old_schema)} became {_type(new_schema)}")
            return
        if _nullable(new_schema) and not _nullable(old_schema):
            self.report(where, "may now be null")
        old_properties = old_schema.get("properties", {})
        new_properties = new_schema.get("properties", {})
        new_required = set(new_schema.get("required", []))
        for name in old_schema.get("required", []):
            if name in new_properties and name not in new_required:
                self.report(f"{where}.{name}", "no longer always present")
        for name, schema in old_properties.items():
            if name not in new_properties:
                self.report(f"{where}.{name}", "response field removed")
            else:
                self.response_schema(f"{where}.{name}", schema, new_properties[name], depth + 1)
        if "items" in old_schema and "items" in new_schema:
            self.response_schema(f"{where}[]", old_schema["items"], new_schema["items"], depth + 1)

    def parameters(
        self, where: str, old_operation: Schema, new_operation: Schema, old_path: Schema, new_path: Schema
    ) -> None:
        def by_key(document: Schema, path_item: Schema, operation: Schema) -> dict[tuple[str, str], Schema]:
            parameters = [
                _resolve(document, p) for p in [*path_item.get("parameters", []), *operation.get("parameters", [])]
            ]
            # Path parameters are matched by position: a rename is not a change on the wire.
            keyed: dict[tuple[str, str], Schema] = {}
            path_index = 0
            for parameter in parameters:
                if parameter.get("in") == "path":
                    keyed[("path", str(path_index))] = parameter
                    path_index += 1
                else:
                    name = parameter.get("name", "")
                    keyed[(parameter.get("in", ""), name.lower() if parameter.get("in") == "header" else name)] = (
                        parameter
                    )
            return keyed

        old_parameters = by_key(self.old, old_path, old_operation)
        new_parameters = by_key(self.new, new_path, new_operation)
        for key, parameter in new_parameters.items():
            label = f"{where} {key[0]} parameter {parameter.get('name')}"
            if key not in old_parameters:
                if parameter.get("required"):
                    self.report(label, "new required parameter")
                continue
            if parameter.get("required") and not old_parameters[key].get("required"):
                self.report(label, "is now required")
            self.request_schema(label, old_parameters[key].get("schema"), parameter.get("schema"))
        for key, parameter in old_parameters.items():
            if key not in new_parameters and key[0] != "header":
                self.report(f"{where} {key[0]} parameter {parameter.get('name')}", "removed")

    def operation(self, where: str, old: Schema, new: Schema, old_path: Schema, new_path: Schema) -> None:
        if old.get("operationId") != new.get("operationId"):
            self.report(where, f"operationId {old.get('operationId')!r} became {new.get('operationId')!r}")
        self.parameters(where, old, new, old_path, new_path)
        old_body = _resolve(self.old, old.get("requestBody"))
        new_body = _resolve(self.new, new.get("requestBody"))
        if new_body.get("required") and old_body and not old_body.get("required"):
            self.report(f"{where} request body", "is now required")
        if new_body.get("required") and not old_body:
            self.report(f"{where} request body", "new required body")
        old_json = old_body.get("content", {}).get("application/json", {})
        new_json = new_body.get("content", {}).get("application/json", {})
        if old_json and new_body and not new_json:
            self.report(f"{where} request body", "no longer accepts application/json")
        elif old_json and new_json:
            self.request_schema(f"{where} request", old_json.get("schema"), new_json.get("schema"))
        old_responses, new_responses = old.get("responses", {}), new.get("responses", {})
        for status, old_response in old_responses.items():
            if not status.startswith("2"):
                continue
            if status not in new_responses:
                self.report(where, f"success response {status} removed")
                continue
            old_content = _resolve(self.old, old_response).get("content", {}).get("application/json", {})
            new_content = _resolve(self.new, new_responses[status]).get("content", {}).get("application/json", {})
            if old_content and not new_content:
                self.report(f"{where} {status}", "no longer answers JSON")
            elif old_content:
                self.response_schema(f"{where} {status}", old_content.get("schema"), new_content.get("schema"))

    def run(self) -> list[str]:
        new_routes = {route_key(path): (path, item) for path, item in self.new.get("paths", {}).items()}
        for old_path, old_item in self.old.get("paths", {}).items():
            if route_key(old_path) not in new_routes:
                self.report(old_path, "route removed")
                continue
            _, new_item = new_routes[route_key(old_path)]
            for method in METHODS:
                if method not in old_item:
                    continue
                where = f"{method.upper()} {old_path}"
                if method not in new_item:
                    self.report(where, "operation removed")
                    continue
                self.operation(where, old_item[method], new_item[method], old_item, new_item)
        return self.problems


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every change from `old` to `new` that would break an app built on `old`; empty when none."""
    return _Checker(old, new).run()
