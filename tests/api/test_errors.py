"""The API's error shape for failures that do not come from a view's own validation."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import Http404

from api.errors import NOT_FOUND, SERVICE_UNAVAILABLE, api_exception_handler, database_unavailable


def test_a_database_outage_is_a_503_with_retry_after_and_no_details() -> None:
    response = api_exception_handler(OperationalError(2003, "Can't connect to MySQL server on '10.0.0.5'"), {})

    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["error"]["code"] == SERVICE_UNAVAILABLE
    assert "10.0.0.5" not in str(response.data)


def test_django_404s_take_the_api_shape() -> None:
    response = api_exception_handler(Http404("No LegacyNote matches the given query."), {})

    assert response is not None
    assert response.status_code == 404
    assert response.data == {"error": {"code": NOT_FOUND, "message": "Not found.", "fields": {}}}


def test_errors_the_api_does_not_know_are_left_to_django() -> None:
    assert api_exception_handler(ValueError("a bug"), {}) is None


def test_only_database_outages_are_503s() -> None:
    assert database_unavailable(OperationalError(2003, "Can't connect to MySQL server"))
    assert database_unavailable(OperationalError(1040, "Too many connections"))
    assert database_unavailable(InterfaceError(0, ""))
    # A query MySQL refuses is a bug of ours: a 500 that gets fixed, not a 503 that gets retried.
    assert not database_unavailable(OperationalError(1267, "Illegal mix of collations"))
    assert not database_unavailable(ValueError("not a database error"))
