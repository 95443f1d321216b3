"""The OpenAPI document (/api/schema/) and Swagger UI (/api/docs/): valid, complete, public, served locally.

The checks walk every operation of the served document, so endpoints added later are held to the
same conventions (api/openapi.py) without new tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from pytest_django.live_server_helper import LiveServer
from rest_framework.test import APIClient

from accounts import errors as accounts_errors
from accounts.openapi import BEARER_SCHEME_NAME
from accounts.permissions import API_KEY_HEADER, API_KEY_SCHEME_NAME
from api import error_codes as api_errors
from api.openapi import (
    ALWAYS_ERRORS,
    AUTHENTICATED_ERRORS,
    BODY_ERRORS,
    ErrorSerializer,
    error_codes,
    error_responses,
)
from notes import errors as notes_errors
from uploads import errors as uploads_errors

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Operations anyone may call without a token (none yet: the schema views are not in the document).
PUBLIC_OPERATIONS: set[str] = set()


def served_schema(**headers: str) -> dict[str, Any]:
    response = APIClient().get("/api/schema/", **headers)
    assert response.status_code == 200, response.content
    schema: dict[str, Any] = response.json()
    return schema


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_the_schema_is_public_openapi_3_json_by_default() -> None:
    # A bearer header that would be refused elsewhere changes nothing here.
    response = APIClient().get("/api/schema/", HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Lambridge API"
    validate_schema(schema)


def test_the_schema_is_also_served_as_yaml() -> None:
    response = APIClient().get("/api/schema/?format=yaml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi;")
    assert yaml.safe_load(response.content) == served_schema()


def test_the_spectacular_command_validates_without_a_single_warning(tmp_path: Path) -> None:
    output = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(output)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    assert yaml.safe_load(output.read_text())["paths"]


def test_every_operation_has_a_stable_id_and_a_documented_success() -> None:
    schema = served_schema()
    ids = [operation.get("operationId") for _, _, operation in operations(schema)]

    assert ids
    assert all(ids), ids
    assert len(ids) == len(set(ids)), ids
    for path, method, operation in operations(schema):
        successes = {status: response for status, response in operation["responses"].items() if status < "300"}
        assert successes, f"{method} {path} documents no 2xx answer"
        for status, response in successes.items():
            if status != "204":
                assert response["content"]["application/json"]["schema"], f"{method} {path} {status}"


def test_every_operation_needs_the_bearer_token_and_lists_the_automatic_errors() -> None:
    schema = served_schema()

    assert schema["components"]["securitySchemes"][BEARER_SCHEME_NAME] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"][BEARER_SCHEME_NAME]["description"],
    }
    for path, method, operation in operations(schema):
        where = f"{method} {path}"
        responses = operation["responses"]
        expected = set(ALWAYS_ERRORS)
        if operation["operationId"] not in PUBLIC_OPERATIONS:
            assert operation["security"] == [{BEARER_SCHEME_NAME: []}], where
            expected |= set(AUTHENTICATED_ERRORS)
        if "requestBody" in operation:
            expected |= set(BODY_ERRORS)
        for status in expected:
            assert responses[str(status)]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (
                f"{where} {status}"
            )
            assert responses[str(status)]["description"], f"{where} {status}"
        for status in ("429", "503"):
            if status in responses:
                assert responses[status]["headers"]["Retry-After"]["schema"] == {"type": "integer"}, where
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"]["headers"], where


def test_the_api_key_is_in_the_schema_exactly_when_required(settings: Any) -> None:
    settings.API_KEY_REQUIRED = False
    without_keys = served_schema()
    settings.API_KEY_REQUIRED = True
    with_keys = served_schema()

    assert API_KEY_SCHEME_NAME not in without_keys["components"]["securitySchemes"]
    assert all(
        API_KEY_SCHEME_NAME not in requirement
        for _, _, operation in operations(without_keys)
        for requirement in operation.get("security", [])
    )
    scheme = with_keys["components"]["securitySchemes"][API_KEY_SCHEME_NAME]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", API_KEY_HEADER)
    for path, method, operation in operations(with_keys):
        # Both in one requirement object: the token AND the key.
        assert operation["security"], f"{method} {path}"
        assert all(API_KEY_SCHEME_NAME in requirement for requirement in operation["security"]), f"{method} {path}"
        if operation["operationId"] not in PUBLIC_OPERATIONS:
            assert {BEARER_SCHEME_NAME: [], API_KEY_SCHEME_NAME: []} in operation["security"]


def test_the_error_component_is_the_spec_shape() -> None:
    components = served_schema()["components"]["schemas"]

    assert components["Error"]["properties"] == {"error": {"$ref": "#/components/schemas/ErrorBody"}}
    assert components["Error"]["required"] == ["error"]
    body = components["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "fields"}
    assert set(body["required"]) == {"code", "message", "fields"}
    assert body["properties"]["fields"]["type"] == "object"


def test_every_error_code_constant_is_documented_for_clients() -> None:
    schema = served_schema()
    description = schema["info"]["description"]
    code_help = schema["components"]["schemas"]["ErrorBody"]["properties"]["code"]["description"]
    # The shared codes and every app's own (each registers them from its errors module).
    constants = {
        f"{module.__name__}.{name}": value
        for module in (api_errors, accounts_errors, notes_errors, uploads_errors)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]*", value)
    }

    assert api_errors.THROTTLED in constants.values()
    for name, code in constants.items():
        assert code in error_codes(), f"{name} is missing from api.error_codes.ERROR_CODES"
        assert f"`{code}`" in description, name
        assert f"`{code}`" in code_help, name
    # The Cognito refusals clients most need to tell apart are in the table too.
    assert "`token_expired`" in description
    assert "`api_key_invalid`" in description


def test_error_responses_gives_each_status_the_error_body_and_a_description() -> None:
    responses = error_responses(404, (409, "The noteId belongs to another user."))

    assert set(responses) == {404, 409}
    assert responses[404].response is ErrorSerializer
    assert "not_found" in responses[404].description
    assert responses[409].description == "The noteId belongs to another user."


def test_the_me_endpoints_are_documented() -> None:
    paths = served_schema()["paths"]

    me = paths["/api/v1/me"]
    assert me["get"]["operationId"] == "me_get"
    assert me["patch"]["operationId"] == "me_update"
    assert me["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeOutput"
    }
    assert me["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeUpdateInputRequest"
    }
    assert "/healthz" not in paths
    assert "/api/schema/" not in paths


# --- Swagger UI ------------------------------------------------------------------------------


def asset_urls(html: str) -> list[str]:
    """Every URL the page loads: src/href attributes, and the schema URL its script fetches."""
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    urls += re.findall(r'\burl:\s*"([^"]+)"', html)
    return urls


def test_the_docs_page_and_every_asset_it_names_are_served_locally(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.url}/api/docs/", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        html = response.read().decode()

    assert 'id="swagger-ui"' in html
    urls = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls), urls
    assert any(url.endswith("swagger-ui.css") for url in urls), urls
    assert "/api/schema/" in urls, urls
    for url in urls:
        # Relative to this server: no CDN, no other host.
        assert not urlsplit(url).netloc, url
        with urllib.request.urlopen(urljoin(f"{live_server.url}/api/docs/", url), timeout=30) as asset:
            assert asset.status == 200, url
            assert asset.read(), url
    # The assets are static files, so `collectstatic` ships them wherever STATIC_URL points.
    for url in urls:
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_the_docs_page_needs_no_token_or_api_key(settings: Any) -> None:
    settings.API_KEY_REQUIRED = True

    response = APIClient().get("/api/docs/")
    schema = APIClient().get("/api/schema/")

    assert response.status_code == 200
    assert schema.status_code == 200
