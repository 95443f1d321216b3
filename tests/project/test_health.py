"""The liveness and readiness probes answer what operators and load balancers need."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_answers_and_aws_is_configured(client: Client, settings: Any) -> None:
    settings.COGNITO_USER_POOL_ID = "us-east-1_example"

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"databases": "ok", "aws": "ok", "mirror": "ok"}


@pytest.mark.django_db
def test_readyz_names_missing_aws_settings_with_a_503(client: Client, settings: Any) -> None:
    settings.COGNITO_USER_POOL_ID = ""

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["checks"]["aws"] == {"missingSettings": ["COGNITO_USER_POOL_ID"]}
