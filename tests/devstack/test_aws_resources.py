"""devstack/aws_resources.py against a real moto server over HTTP."""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings as SettingsWrapper

from aws.clients import cognito_idp_client, dynamodb_client, dynamodbstreams_client, s3_client
from devstack.aws_resources import (
    APP_CLIENT_NAME,
    LEGACY_USER_ID_ATTRIBUTE,
    MOTO_JWKS_HEADERS,
    STAFF_GROUP,
    USER_POOL_NAME,
    DevstackResources,
    cognito_user_signed_in,
    ensure_resources,
    local_environment,
)

PASSWORD = "Correct-Horse-9"


def _unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def test_bucket_exists_and_keeps_objects(aws_stack: DevstackResources) -> None:
    s3 = s3_client()
    key = f"tests/{uuid.uuid4()}.txt"

    s3.put_object(Bucket=aws_stack.bucket, Key=key, Body=b"hello")

    assert s3.get_object(Bucket=aws_stack.bucket, Key=key)["Body"].read() == b"hello"


def test_notes_table_is_keyed_on_note_id_with_a_new_and_old_images_stream(aws_stack: DevstackResources) -> None:
    table = dynamodb_client().describe_table(TableName=aws_stack.notes_table)["Table"]

    assert table["KeySchema"] == [{"AttributeName": "noteId", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "noteId", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"] == aws_stack.notes_stream_arn


def test_a_put_item_reaches_the_stream_as_an_insert(aws_stack: DevstackResources) -> None:
    note_id = str(uuid.uuid4())
    dynamodb_client().put_item(
        TableName=aws_stack.notes_table, Item={"noteId": {"S": note_id}, "headline": {"S": "Beach"}}
    )

    streams = dynamodbstreams_client()
    stream = streams.describe_stream(StreamArn=aws_stack.notes_stream_arn)["StreamDescription"]
    iterator = streams.get_shard_iterator(
        StreamArn=aws_stack.notes_stream_arn,
        ShardId=stream["Shards"][0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]

    ours = [record for record in records if record["dynamodb"]["Keys"] == {"noteId": {"S": note_id}}]
    assert [record["eventName"] for record in ours] == ["INSERT"]
    assert ours[0]["dynamodb"]["NewImage"]["headline"] == {"S": "Beach"}
    assert ours[0]["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_user_pool_has_the_mobile_client_and_the_staff_group(aws_stack: DevstackResources) -> None:
    cognito = cognito_idp_client()

    pool = cognito.describe_user_pool(UserPoolId=aws_stack.user_pool_id)["UserPool"]
    client = cognito.describe_user_pool_client(UserPoolId=aws_stack.user_pool_id, ClientId=aws_stack.app_client_id)[
        "UserPoolClient"
    ]
    group = cognito.get_group(UserPoolId=aws_stack.user_pool_id, GroupName=STAFF_GROUP)["Group"]

    assert pool["Name"] == USER_POOL_NAME
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert LEGACY_USER_ID_ATTRIBUTE in {attribute["Name"] for attribute in pool["SchemaAttributes"]}
    assert client["ClientName"] == APP_CLIENT_NAME
    assert "ClientSecret" not in client
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert LEGACY_USER_ID_ATTRIBUTE not in client["WriteAttributes"]
    assert group["GroupName"] == "staff"


def test_a_user_with_a_permanent_password_signs_in_and_gets_an_id_token(aws_stack: DevstackResources) -> None:
    result = cognito_user_signed_in(
        aws_stack, email=_unique_email(), password=PASSWORD, attributes={LEGACY_USER_ID_ATTRIBUTE: "42"}
    )

    assert result["IdToken"].count(".") == 2
    assert result["AccessToken"]
    assert result["RefreshToken"]


def test_ensure_resources_twice_finds_the_same_resources_and_creates_nothing(aws_stack: DevstackResources) -> None:
    again = ensure_resources()

    cognito = cognito_idp_client()
    pools = [pool for pool in cognito.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"] == USER_POOL_NAME]
    clients = cognito.list_user_pool_clients(UserPoolId=aws_stack.user_pool_id, MaxResults=60)["UserPoolClients"]
    groups = cognito.list_groups(UserPoolId=aws_stack.user_pool_id)["Groups"]
    tables = dynamodb_client().list_tables()["TableNames"]
    buckets = [bucket["Name"] for bucket in s3_client().list_buckets()["Buckets"]]
    assert again == aws_stack
    assert len(pools) == 1
    assert [client["ClientName"] for client in clients].count(APP_CLIENT_NAME) == 1
    assert [group["GroupName"] for group in groups].count(STAFF_GROUP) == 1
    assert tables.count(aws_stack.notes_table) == 1
    assert buckets.count(aws_stack.bucket) == 1


def test_ensure_resources_gives_an_existing_table_without_a_stream_one(
    aws_stack: DevstackResources, settings: SettingsWrapper
) -> None:
    table_name = f"NoStream-{uuid.uuid4().hex[:8]}"
    dynamodb_client().create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "noteId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "noteId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    settings.NOTES_TABLE = table_name

    resources = ensure_resources()

    table = dynamodb_client().describe_table(TableName=table_name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resources.notes_stream_arn == table["LatestStreamArn"]


def test_ensure_resources_refuses_without_an_emulator_endpoint(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = ""

    with pytest.raises(ImproperlyConfigured, match="AWS_ENDPOINT_URL"):
        ensure_resources()


def test_local_environment_points_a_process_at_the_resources(
    aws_stack: DevstackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "already-set")

    environment = local_environment(aws_stack)

    assert environment["AWS_ENDPOINT_URL"] == aws_stack.endpoint_url
    assert environment["AWS_REGION"] == aws_stack.region
    assert environment["AWS_STORAGE_BUCKET_NAME"] == aws_stack.bucket
    assert environment["NOTES_TABLE"] == aws_stack.notes_table
    assert environment["COGNITO_USER_POOL_ID"] == aws_stack.user_pool_id
    assert environment["COGNITO_APP_CLIENT_IDS"] == aws_stack.app_client_id
    assert environment["COGNITO_JWKS_URL"] == (
        f"{aws_stack.endpoint_url}/{aws_stack.user_pool_id}/.well-known/jwks.json"
    )
    assert environment["AWS_ACCESS_KEY_ID"]
    assert "AWS_SECRET_ACCESS_KEY" not in environment


def test_jwks_url_serves_the_key_that_signs_the_pools_tokens(aws_stack: DevstackResources) -> None:
    email = _unique_email()
    id_token = cognito_user_signed_in(aws_stack, email=email, password=PASSWORD)["IdToken"]
    header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))

    # moto routes a bare GET by its path and cannot tell this one is Cognito's: it needs a
    # Cognito X-Amz-Target header (or a SigV4 Authorization header), unlike real Cognito.
    request = urllib.request.Request(aws_stack.jwks_url, headers=MOTO_JWKS_HEADERS)
    with urllib.request.urlopen(request, timeout=5) as response:
        jwks = json.load(response)

    assert header["kid"] in {key["kid"] for key in jwks["keys"]}
    assert claims["iss"] == aws_stack.issuer
    assert claims["aud"] == aws_stack.app_client_id
