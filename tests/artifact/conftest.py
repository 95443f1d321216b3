"""The artifact under test: built once a session with `make package`'s code (stage dev, local placeholders
filled with this session's moto resources) — or dist/'s zip reused when it is newer than every source
file and routes this session's stream — then unzipped next to the runtime's own libraries."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from artifact.build import artifact_path, build, is_up_to_date, packaged_settings
from artifact.runtime import (
    CUSTOM_DOMAIN,
    EXECUTE_API_HOST,
    STAGE,
    LambdaRuntime,
    lambda_environment,
    runtime_libraries,
    unzip_artifact,
)
from artifact.verify import ArtifactReport, verify_artifact
from aws.clients import reset_clients
from devstack.aws_resources import DevstackResources, ensure_resources
from devstack.moto_server import MotoServer
from tests.conftest import mysql_url

SMOKE_SECRET_KEY = "artifact-smoke-test-only"


@pytest.fixture(scope="session")
def session_stack(moto_server: MotoServer) -> DevstackResources:
    """The session's moto bucket, Notes table + stream and Cognito pool (the same ones aws_stack finds)."""
    with override_settings(AWS_ENDPOINT_URL=moto_server.endpoint_url):
        reset_clients()
        try:
            return ensure_resources()
        finally:
            reset_clients()


PACKAGED_CLOUDSEARCH = re.compile(r"""SEARCH_BACKEND['"]\s*:\s*['"]cloudsearch""")


@pytest.fixture(scope="session")
def artifact_zip(session_stack: DevstackResources) -> Path:
    """dist/lambridge-dev-local.zip, routing the moto table's stream and naming the moto pool and bucket."""
    zip_path = artifact_path(STAGE, local=True)
    wanted = (session_stack.notes_stream_arn, session_stack.user_pool_id)
    if (
        is_up_to_date(zip_path)
        and all(value in packaged_settings(zip_path) for value in wanted)
        and PACKAGED_CLOUDSEARCH.search(packaged_settings(zip_path))
    ):
        return zip_path
    environment = {
        "NOTES_STREAM_ARN": session_stack.notes_stream_arn,
        "COGNITO_USER_POOL_ID": session_stack.user_pool_id,
        "AWS_STORAGE_BUCKET_NAME": session_stack.bucket,
        # The smoke tests follow the reference pipeline into the local CloudSearch server; the
        # packaged environment wins over the function's (Zappa's handler sets it at start).
        "SEARCH_BACKEND": "cloudsearch",
    }
    return build(stage=STAGE, local=True, environment=environment).zip_path


@pytest.fixture(scope="session")
def artifact_report(artifact_zip: Path) -> ArtifactReport:
    return verify_artifact(artifact_zip)


@pytest.fixture(scope="session")
def unzipped_artifact(artifact_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(task root, runtime libraries): the artifact as in /var/task, boto3 & co. as in /var/runtime."""
    base = tmp_path_factory.mktemp("lambda")
    return unzip_artifact(artifact_zip, base / "task"), runtime_libraries(base / "runtime")


@pytest.fixture
def lambda_runtime(
    unzipped_artifact: tuple[Path, Path],
    aws_stack: DevstackResources,
    cloudsearch_domain: Any,
    transactional_db: None,
) -> LambdaRuntime:
    """The function's environment as a stage would set it, pointed at the test database (committed
    data: the handler runs in another process), the moto stack and the local CloudSearch server."""
    task_root, runtime_root = unzipped_artifact
    database = connections["default"].settings_dict["NAME"]
    variables = {
        "SECRET_KEY": SMOKE_SECRET_KEY,
        "DATABASE_URL": mysql_url(database),
        "ALLOWED_HOSTS": f"{EXECUTE_API_HOST},{CUSTOM_DOMAIN}",
        "AWS_ENDPOINT_URL": aws_stack.endpoint_url,
        "AWS_REGION": aws_stack.region,
        "AWS_DEFAULT_REGION": aws_stack.region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "COGNITO_APP_CLIENT_IDS": aws_stack.app_client_id,
        "COGNITO_JWKS_URL": aws_stack.jwks_url,
        "CLOUDSEARCH_DOCUMENT_ENDPOINT": settings.CLOUDSEARCH_DOCUMENT_ENDPOINT,
        "CLOUDSEARCH_SEARCH_ENDPOINT": settings.CLOUDSEARCH_SEARCH_ENDPOINT,
        "SEARCH_BACKEND": settings.SEARCH_BACKEND,
    }
    if settings.LEGACY_DATABASE_URL:
        legacy = connections[settings.LEGACY_DATABASE_ALIAS].settings_dict["NAME"]
        variables["LEGACY_DATABASE_URL"] = mysql_url(legacy)
    return LambdaRuntime(
        task_root=task_root, runtime_root=runtime_root, environment=lambda_environment(task_root, **variables)
    )
