"""Django's own errors (unmatched URL, oversized body, bad Host, CSRF, crash) answer in the API's JSON
shape on API paths, while the admin and other pages keep Django's HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.test import Client, RequestFactory

from api.errors import (
    BAD_REQUEST,
    CSRF_FAILED,
    NOT_FOUND,
    PERMISSION_DENIED,
    REQUEST_TOO_LARGE,
    SERVER_ERROR,
)
from devstack.aws_resources import DevstackResources
from project.error_pages import bad_request, is_api_path
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import fetch_value, site_user
from tests.project.error_urls import SECRET_DETAIL

pytestmark = pytest.mark.django_db


def assert_api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = json.loads(response.content)
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["fields"] == {}
    return body


def assert_html(response: Any, status: int) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def staff_client() -> Client:
    user = User.objects.create_user("errors-staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint", "/api/nothing/here/", "/notes/no/such/route"])
def test_unmatched_api_urls_are_json_404s(client: Client, path: str) -> None:
    assert_api_error(client.get(path), 404, NOT_FOUND)
    assert_api_error(client.post(path, "{}", content_type="application/json"), 404, NOT_FOUND)


def test_pages_outside_the_api_keep_djangos_html_404(client: Client, staff_client: Client) -> None:
    assert_html(client.get("/no-such-page"), 404)
    assert_html(staff_client.get("/admin/no-such-page/"), 404)


def test_an_oversized_body_is_a_json_413_before_anything_reads_it(client: Client, settings: Any) -> None:
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.patch("/api/v1/me", body, content_type="application/json")

    error = assert_api_error(response, 413, REQUEST_TOO_LARGE)
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in error["error"]["message"]


def test_a_signed_in_caller_cannot_slip_a_big_body_through_drf(aws_stack: DevstackResources, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    email = unique_email("bulky")
    user_id = site_user(email=email, display_name="Kept")
    tokens = cognito_tokens(aws_stack, email=email)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens.id_token}")
    padded = '{"displayName": "Big"}' + " " * 1000
    small = '{"displayName": "Small"}'

    assert_api_error(client.patch("/api/v1/me", padded, content_type="application/json"), 413, REQUEST_TOO_LARGE)
    assert fetch_value("SELECT display_name FROM users WHERE user_id = %s", [user_id]) == "Kept"
    assert client.patch("/api/v1/me", small, content_type="application/json").status_code == 200


def test_django_s_own_too_large_error_is_413_on_api_paths() -> None:
    request = RequestFactory().post("/api/v1/anything")

    assert_api_error(bad_request(request, RequestDataTooBig("too big")), 413, REQUEST_TOO_LARGE)


def test_a_bad_host_is_a_json_400_that_does_not_echo_the_host(client: Client) -> None:
    response = client.get("/api/v1/me", HTTP_HOST="evil.example")

    assert_api_error(response, 400, BAD_REQUEST)
    assert b"evil.example" not in response.content
    assert_html(client.get("/admin/", HTTP_HOST="evil.example"), 400)


@pytest.mark.urls("tests.project.error_urls")
def test_csrf_failures_are_json_on_api_paths_and_html_in_the_admin() -> None:
    client = Client(enforce_csrf_checks=True)

    assert_api_error(client.post("/api/test-csrf-protected"), 403, CSRF_FAILED)
    assert_html(client.post("/admin/login/", {"username": "x", "password": "y"}), 403)


def test_api_paths_are_recognised_under_a_stage_prefix() -> None:
    factory = RequestFactory()

    assert is_api_path(factory.get("/api/v1/me", SCRIPT_NAME="/dev"))
    assert is_api_path(factory.get("/notes"))
    assert is_api_path(factory.get("/notes/search"))
    assert not is_api_path(factory.get("/notesearch"))
    assert not is_api_path(factory.get("/admin/"))


@pytest.mark.urls("tests.project.error_urls")
@pytest.mark.parametrize("path", ["/api/v1/test-broken", "/api/test-broken-plain", "/notes/test-broken"])
def test_a_crash_on_an_api_path_is_a_json_500_without_details(path: str) -> None:
    response = Client(raise_request_exception=False).get(path)

    assert_api_error(response, 500, SERVER_ERROR)
    assert SECRET_DETAIL.encode() not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.urls("tests.project.error_urls")
def test_a_crash_elsewhere_keeps_djangos_html_500() -> None:
    response = Client(raise_request_exception=False).get("/test-broken")

    assert_html(response, 500)
    assert SECRET_DETAIL.encode() not in response.content


@pytest.mark.urls("tests.project.error_urls")
def test_permission_denied_outside_drf_is_a_json_403_on_api_paths(client: Client) -> None:
    response = client.get("/api/test-forbidden-plain")

    assert_api_error(response, 403, PERMISSION_DENIED)
    assert SECRET_DETAIL.encode() not in response.content
