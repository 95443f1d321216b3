"""`manage.py infra_apply` against moto's CloudFormation over HTTP and a local CloudSearch server of its own.

moto's CloudFormation has no CloudFront or Cognito resources (it cannot even skip them: references to
them fail), so the stack tests deploy the real template minus those, and whatever refers to them.
Those resources are checked by cfn-lint (test_template.py) and built in moto by devstack from the
same definitions (test_definitions.py).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django import Settings as SettingsWrapper

from aws.clients import cloudsearch_client, dynamodb_client, get_client, reset_clients, s3_client
from deploy.emulator import emulator_template as moto_template
from devstack.cloudsearch.process import CloudSearchServer
from devstack.moto_server import MotoServer, free_port
from infra.services import SearchDomainResult, export_lines, search_domain_apply
from notes.search.schema import NOTES_INDEX_FIELDS

# The local server serves one domain, under this name.
LOCAL_DOMAIN = "notes"
EXPORT_LINE = re.compile(r"^export ([A-Z_]+)=(.*)$", re.MULTILINE)


@pytest.fixture
def moto_aws(moto_server: MotoServer, settings: SettingsWrapper) -> Iterator[MotoServer]:
    settings.AWS_ENDPOINT_URL = moto_server.endpoint_url
    reset_clients()
    yield moto_server
    reset_clients()


@pytest.fixture
def template_file(tmp_path: Path) -> Path:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(moto_template()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def empty_search_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudSearchServer]:
    """A local CloudSearch server whose domain starts with no index fields at all, as a new AWS domain does."""
    fields = tmp_path_factory.mktemp("cloudsearch") / "fields.json"
    fields.write_text("[]", encoding="utf-8")
    with CloudSearchServer(fields_path=fields) as server:
        yield server


def _function_arn(name: str) -> str:
    """A function in moto's Lambda to wire to (created, never invoked)."""
    role = get_client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return None\n")
    function = get_client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    arn: str = function["FunctionArn"]
    return arn


def _apply(template_file: Path, search: CloudSearchServer, **options: Any) -> tuple[str, dict[str, str]]:
    out = io.StringIO()
    call_command(
        "infra_apply",
        template=str(template_file),
        search_domain=LOCAL_DOMAIN,
        cloudsearch_endpoint=search.endpoint_url,
        stdout=out,
        **({"search_backend": "cloudsearch"} | options),
    )
    text = out.getvalue()
    return text, dict(EXPORT_LINE.findall(text))


def test_first_run_creates_the_stack_and_the_search_fields_and_prints_the_exports(
    moto_aws: MotoServer, template_file: Path, empty_search_server: CloudSearchServer
) -> None:
    stage = f"t{uuid.uuid4().hex[:8]}"
    table = f"Notes-{stage}"

    text, exports = _apply(template_file, empty_search_server, stage=stage, notes_table=table)

    described = dynamodb_client().describe_table(TableName=table)["Table"]
    bucket = f"lambridge-media-{stage}"
    # moto's CloudFormation makes the bucket but ignores its access block and encryption.
    s3_client().head_bucket(Bucket=bucket)
    fields = cloudsearch_client(empty_search_server.endpoint_url).describe_index_fields(DomainName=LOCAL_DOMAIN)
    assert f"Stack lambridge-{stage}-infra: created." in text
    assert exports["NOTES_STREAM_ARN"] == described["LatestStreamArn"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert exports["NOTES_TABLE"] == table
    assert exports["AWS_STORAGE_BUCKET_NAME"] == bucket
    assert exports["LAMBRIDGE_FUNCTION_POLICY_ARN"].startswith("arn:aws:iam::")
    assert {field["Options"]["IndexFieldName"] for field in fields["IndexFields"]} == {
        field["IndexFieldName"] for field in NOTES_INDEX_FIELDS
    }
    host = empty_search_server.endpoint_url.removeprefix("http://")
    assert exports["CLOUDSEARCH_DOCUMENT_ENDPOINT"] == exports["CLOUDSEARCH_SEARCH_ENDPOINT"] == host
    assert "--lambda-arn" in text


def test_a_mysql_search_stage_needs_no_cloudsearch_domain(moto_aws: MotoServer, template_file: Path) -> None:
    stage = f"t{uuid.uuid4().hex[:8]}"
    # As on an account CloudSearch is closed to: any call to it would fail the command.
    out = io.StringIO()
    call_command(
        "infra_apply",
        template=str(template_file),
        stage=stage,
        notes_table=f"Notes-{stage}",
        cloudsearch_endpoint=f"http://127.0.0.1:{free_port()}",
        stdout=out,
    )
    text = out.getvalue()
    exports = dict(EXPORT_LINE.findall(text))

    assert f"Stack lambridge-{stage}-infra: created." in text
    assert exports["SEARCH_BACKEND"] == "mysql"
    assert "CLOUDSEARCH_DOCUMENT_ENDPOINT" not in exports
    assert "CloudSearch domain" not in text
    iam = get_client("iam")
    policy_arn = exports["LAMBRIDGE_FUNCTION_POLICY_ARN"]
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert "Search" not in {statement.get("Sid") for statement in document["Statement"]}


def test_with_the_function_the_stream_mapping_has_its_starting_position_and_a_rerun_changes_nothing(
    moto_aws: MotoServer, template_file: Path, empty_search_server: CloudSearchServer
) -> None:
    stage = f"t{uuid.uuid4().hex[:8]}"
    table = f"Notes-{stage}"
    _apply(template_file, empty_search_server, stage=stage, notes_table=table)
    function_arn = _function_arn(f"lambridge-{stage}")

    text, exports = _apply(template_file, empty_search_server, stage=stage, notes_table=table, lambda_arn=function_arn)
    again, exports_again = _apply(
        template_file, empty_search_server, stage=stage, notes_table=table, lambda_arn=function_arn
    )

    mappings = [
        mapping
        for mapping in get_client("lambda").list_event_source_mappings()["EventSourceMappings"]
        if mapping["FunctionArn"] == function_arn
    ]
    assert f"Stack lambridge-{stage}-infra: updated." in text
    assert len(mappings) == 1
    assert mappings[0]["EventSourceArn"] == exports["NOTES_STREAM_ARN"]
    assert mappings[0]["StartingPosition"] == "TRIM_HORIZON"
    assert mappings[0]["BatchSize"] == 100
    assert mappings[0]["BisectBatchOnFunctionError"] is True
    assert mappings[0]["MaximumRetryAttempts"] == 10
    assert exports_again == exports
    assert "fields defined: none (all up to date)" in again
    assert "IndexDocuments started" not in again
    assert "--lambda-arn" not in again


def test_search_domain_apply_defines_only_what_differs_and_then_reindexes(
    moto_aws: MotoServer, empty_search_server: CloudSearchServer
) -> None:
    search_domain_apply(domain_name=LOCAL_DOMAIN, endpoint_url=empty_search_server.endpoint_url)
    client = cloudsearch_client(empty_search_server.endpoint_url)
    client.define_index_field(
        DomainName=LOCAL_DOMAIN,
        IndexField={
            "IndexFieldName": "user_id",
            "IndexFieldType": "literal",
            "LiteralOptions": {"SearchEnabled": False, "ReturnEnabled": True},
        },
    )

    result = search_domain_apply(domain_name=LOCAL_DOMAIN, endpoint_url=empty_search_server.endpoint_url)

    (user_id,) = client.describe_index_fields(DomainName=LOCAL_DOMAIN, FieldNames=["user_id"])["IndexFields"]
    assert result.fields_defined == ["user_id"]
    assert result.indexing_started is True
    assert result.created is False
    assert user_id["Options"]["LiteralOptions"]["SearchEnabled"] is True


def test_export_lines_leave_out_search_endpoints_a_new_domain_does_not_have_yet() -> None:
    outputs = {"NotesStreamArn": "arn:stream", "UserPoolId": "us-east-1_abc", "MediaDistributionDomain": "d1.net"}
    pending = SearchDomainResult(
        name="lambridge-dev",
        created=True,
        fields_defined=[],
        indexing_started=False,
        document_endpoint="",
        search_endpoint="",
    )

    lines = export_lines(outputs=outputs, search=pending)

    assert lines == [
        "export MEDIA_CDN_DOMAIN=d1.net",
        "export NOTES_STREAM_ARN=arn:stream",
        "export COGNITO_USER_POOL_ID=us-east-1_abc",
        "export STATIC_URL=https://d1.net/static/",
    ]
