"""The artifact alone, on a stand-in for Lambda's runtime: every event type the function receives, through
the zip's own Zappa handler, against MariaDB, the moto stack and the local CloudSearch server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from accounts.migration_trigger import LEGACY_USER_ID_ATTRIBUTE
from accounts.passwords import site_password_hash
from artifact.runtime import (
    CUSTOM_DOMAIN,
    EXECUTE_API_HOST,
    Invocation,
    LambdaRuntime,
    header,
    http_api_event,
    invoke,
    json_body,
    rest_api_event,
    scheduled_event,
    user_migration_event,
)
from aws.clients import dynamodb_client, dynamodbstreams_client
from devstack.aws_resources import DevstackResources
from devstack.stream_poller import lambda_record
from legacy.models import LegacyNote
from notes.mirror import mirror_record
from notes.selectors import note_views
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.factories import site_note, site_user
from tests.notes.search_helpers import indexed_documents, new_note_id, note_item, put_item

pytestmark = pytest.mark.slow  # builds the Lambda artifact

MIGRATION_PASSWORD = "Migrate-me-8472-secret"


def succeeded(invocation: Invocation) -> Any:
    assert invocation.error_type is None, f"{invocation.error_type}: {invocation.error_message}\n{invocation.stderr}"
    return invocation.result


# --- HTTP: API Gateway REST v1 (execute-api host with the stage, custom domain) and HTTP API v2 ---


HTTP_EVENTS = {
    "rest-v1-execute-api": lambda path, **kw: rest_api_event(path, host=EXECUTE_API_HOST, **kw),
    "rest-v1-custom-domain": lambda path, **kw: rest_api_event(path, host=CUSTOM_DOMAIN, **kw),
    "http-v2-execute-api": lambda path, **kw: http_api_event(path, host=EXECUTE_API_HOST, **kw),
}
# The prefix Django must put in front of the URLs it writes: Zappa passes the stage as SCRIPT_NAME on
# the execute-api host; behind a custom domain the stage is not in the URL.
URL_PREFIX = {"rest-v1-execute-api": "/dev", "rest-v1-custom-domain": "", "http-v2-execute-api": "/dev"}


@pytest.mark.parametrize("kind", HTTP_EVENTS)
def test_healthz_answers_through_the_handler(lambda_runtime: LambdaRuntime, kind: str) -> None:
    response = succeeded(invoke(lambda_runtime, HTTP_EVENTS[kind]("/healthz")))

    assert response["statusCode"] == 200
    assert json_body(response) == {"status": "ok"}


@pytest.mark.parametrize("kind", HTTP_EVENTS)
def test_django_writes_urls_with_the_stage_prefix_only_where_the_url_has_it(
    lambda_runtime: LambdaRuntime, kind: str
) -> None:
    response = succeeded(invoke(lambda_runtime, HTTP_EVENTS[kind]("/admin/", headers={"Accept": "text/html"})))

    prefix = URL_PREFIX[kind]
    assert response["statusCode"] == 302
    assert header(response, "Location") == f"{prefix}/admin/login/?next={prefix}/admin/"


@pytest.mark.parametrize("kind", HTTP_EVENTS)
def test_the_notes_list_answers_the_signed_in_user_with_their_notes(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources, kind: str
) -> None:
    email = unique_email("smoke")
    owner = site_user(email=email, username=email.split("@")[0], status="active")
    site_note(owner, headline="Packing list", visibility="private")
    site_note(owner, headline="Ferry times", visibility="public")
    someone_else = site_user()
    site_note(someone_else, headline="Not yours", visibility="private")
    tokens = cognito_tokens(aws_stack, email=email)

    response = succeeded(
        invoke(
            lambda_runtime,
            HTTP_EVENTS[kind]("/api/v1/notes/", headers={"Authorization": f"Bearer {tokens.id_token}"}),
        )
    )

    assert response["statusCode"] == 200, response.get("body")
    results = json_body(response)["results"]
    assert {note["headline"] for note in results} == {"Packing list", "Ferry times"}
    assert {note["owner"]["userId"] for note in results} == {owner}


def test_the_notes_list_refuses_a_request_without_a_token(lambda_runtime: LambdaRuntime) -> None:
    response = succeeded(invoke(lambda_runtime, rest_api_event("/api/v1/notes/")))

    assert response["statusCode"] == 401
    assert json_body(response)["error"]["code"]


def test_mysqlclient_loads_the_artifacts_own_client_library(lambda_runtime: LambdaRuntime) -> None:
    invocation = invoke(lambda_runtime, rest_api_event("/readyz"))

    assert succeeded(invocation)["statusCode"] in {200, 503}
    assert invocation.libmariadb == [str(lambda_runtime.task_root / "lib" / "libmariadb.so.3")]


# --- DynamoDB stream ---------------------------------------------------------------------------


def stream_records_of(aws_stack: DevstackResources, note_id: str) -> list[dict[str, Any]]:
    """The moto stream's records for `note_id`, as Lambda delivers them (with the stream's ARN)."""
    streams = dynamodbstreams_client()
    description = streams.describe_stream(StreamArn=aws_stack.notes_stream_arn)["StreamDescription"]
    records: list[dict[str, Any]] = []
    for shard in description["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=aws_stack.notes_stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page["Records"]:
                break
            records += [
                lambda_record(record, stream_arn=aws_stack.notes_stream_arn, region=aws_stack.region)
                for record in page["Records"]
                if record["dynamodb"]["Keys"]["noteId"]["S"] == note_id
            ]
            iterator = page.get("NextShardIterator")
    return records


def test_a_stream_batch_is_routed_by_the_packaged_stream_arn_and_indexes_the_note(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources, cloudsearch_domain: Any
) -> None:
    item = note_item(new_note_id(), headline="Lighthouse walk", text="Cliffs and gulls", userId=77)
    put_item(item)
    records = stream_records_of(aws_stack, item["noteId"])
    assert records, "the moto table's stream has no record of the item"

    summary = succeeded(invoke(lambda_runtime, {"Records": records}))

    assert summary == {"records": len(records), "indexed": 1, "deleted": 0}
    document = indexed_documents(cloudsearch_domain)[item["noteId"]]
    assert (document["headline"], document["note_text"], document["user_id"]) == (
        "Lighthouse walk",
        "Cliffs and gulls",
        "77",
    )


def test_a_stream_batch_from_an_unknown_stream_is_not_handled(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources, cloudsearch_domain: Any
) -> None:
    item = note_item(new_note_id(), headline="Elsewhere")
    put_item(item)
    records = [
        record | {"eventSourceARN": aws_stack.notes_stream_arn.replace("/stream/", "/stream/other-")}
        for record in stream_records_of(aws_stack, item["noteId"])
    ]

    assert succeeded(invoke(lambda_runtime, {"Records": records})) is None
    assert item["noteId"] not in indexed_documents(cloudsearch_domain)


# --- Scheduled events ----------------------------------------------------------------------------


def mirrored_item(legacy_note_id: int) -> dict[str, Any] | None:
    # The noteId the API shows: derived for a note the site wrote (sending it stored nothing).
    note_uuid = note_views([LegacyNote.objects.get(pk=legacy_note_id)])[0].mobile.uuid
    response = dynamodb_client().get_item(
        TableName=settings.NOTES_TABLE, Key={"noteId": {"S": str(note_uuid)}}, ConsistentRead=True
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def test_the_drain_schedule_sends_a_pending_note_to_dynamodb(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources
) -> None:
    note_id = site_note(site_user(), headline="Pending since the outage")
    mirror_record(note_id=note_id)

    summary = succeeded(invoke(lambda_runtime, scheduled_event("notes.events.mirror_drain_event")))

    assert summary == {"sent": 1, "failed": 0, "busy": 0}
    item = mirrored_item(note_id)
    assert item is not None
    assert item["headline"] == {"S": "Pending since the outage"}


def test_the_reconcile_schedule_queues_and_sends_a_note_the_php_site_wrote(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources
) -> None:
    note_id = site_note(site_user(), headline="Written by PHP")

    summary = succeeded(invoke(lambda_runtime, scheduled_event("notes.events.mirror_reconcile_event")))

    assert summary == {"queued": 1, "sent": 1, "failed": 0, "busy": 0}
    item = mirrored_item(note_id)
    assert item is not None
    assert item["headline"] == {"S": "Written by PHP"}


# --- Cognito user migration ------------------------------------------------------------------------


def test_the_user_migration_trigger_answers_a_right_password_with_the_users_attributes(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources
) -> None:
    email = unique_email("migrating")
    user_id = site_user(email=email, password=site_password_hash(MIGRATION_PASSWORD), status="active")
    event = user_migration_event(
        user_pool_id=aws_stack.user_pool_id,
        client_id=aws_stack.app_client_id,
        username=email,
        password=MIGRATION_PASSWORD,
    )

    invocation = invoke(lambda_runtime, event)

    response = succeeded(invocation)["response"]
    assert response["userAttributes"]["email"] == email
    assert response["userAttributes"][LEGACY_USER_ID_ATTRIBUTE] == str(user_id)
    assert response["finalUserStatus"] == "CONFIRMED"
    assert response["messageAction"] == "SUPPRESS"
    assert MIGRATION_PASSWORD not in invocation.output


def test_the_user_migration_trigger_refuses_a_wrong_password_without_logging_it(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources
) -> None:
    email = unique_email("migrating")
    site_user(email=email, password=site_password_hash(MIGRATION_PASSWORD), status="active")
    wrong = f"Wrong-{uuid.uuid4().hex}"
    event = user_migration_event(
        user_pool_id=aws_stack.user_pool_id, client_id=aws_stack.app_client_id, username=email, password=wrong
    )

    invocation = invoke(lambda_runtime, event)

    assert invocation.error_type == "UserMigrationRefused"
    assert invocation.error_message == "Incorrect username or password."
    assert wrong not in invocation.output
    assert MIGRATION_PASSWORD not in invocation.output


# --- manage --------------------------------------------------------------------------------------


def test_a_manage_event_runs_migrate_check_which_passes_on_a_migrated_database(lambda_runtime: LambdaRuntime) -> None:
    invocation = invoke(lambda_runtime, {"manage": "migrate --check"})

    assert succeeded(invocation) == {}


def test_a_manage_event_migrate_check_fails_when_a_migration_is_unapplied(lambda_runtime: LambdaRuntime) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app, name, applied FROM django_migrations WHERE app = 'notes' ORDER BY id DESC")
        row = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        invocation = invoke(lambda_runtime, {"manage": "migrate --check"})
    finally:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)", list(row))

    assert invocation.error_type == "SystemExit"
    assert invocation.error_message == "1"


def test_the_cdc_schedule_does_nothing_until_enabled(
    lambda_runtime: LambdaRuntime, aws_stack: DevstackResources
) -> None:
    summary = succeeded(invoke(lambda_runtime, scheduled_event("notes.events.cdc_event")))

    assert summary == {"skipped": "CDC_ENABLED is off"}
