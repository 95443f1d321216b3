"""The local stack's AWS resources (bucket, Notes table + stream, Cognito pool), built from infra/template.json."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aws.clients import cognito_idp_client, dynamodb_client, s3_client, sns_client
from infra import definitions
from infra.push_applications import PUSH_APPLICATIONS, application_name, push_application_apply

# --- Resource definitions: read from infra/template.json, so local and AWS cannot drift -------

# devstack is the "local" stage of the template: its pool is lambridge-local.
LOCAL_STAGE: Final = "local"
NOTES_KEY_ATTRIBUTE: Final = "noteId"
_NOTES_TABLE_ARGUMENTS: Final = definitions.notes_table_arguments()
NOTES_KEY_SCHEMA: Final = tuple(_NOTES_TABLE_ARGUMENTS["KeySchema"])
NOTES_ATTRIBUTE_DEFINITIONS: Final = tuple(_NOTES_TABLE_ARGUMENTS["AttributeDefinitions"])
NOTES_BILLING_MODE: Final = _NOTES_TABLE_ARGUMENTS["BillingMode"]
# The stream handler indexes new images and deletes on old ones, so it needs both.
NOTES_STREAM_SPECIFICATION: Final = definitions.notes_stream_specification()
NOTES_STREAM_VIEW_TYPE: Final = NOTES_STREAM_SPECIFICATION["StreamViewType"]

# Set on a Cognito user once linked to a row of the site's `users` table (SPEC §3).
LEGACY_USER_ID_ATTRIBUTE_NAME: Final = "legacy_user_id"
LEGACY_USER_ID_ATTRIBUTE: Final = f"custom:{LEGACY_USER_ID_ATTRIBUTE_NAME}"
_USER_POOL_ARGUMENTS: Final = definitions.user_pool_arguments(stage=LOCAL_STAGE)
USER_POOL_NAME: Final = _USER_POOL_ARGUMENTS["PoolName"]
# create_user_pool's arguments other than PoolName (tests make more pools like this one).
USER_POOL_SETTINGS: Final[dict[str, Any]] = definitions.without(_USER_POOL_ARGUMENTS, "PoolName")
_STAFF_GROUP_ARGUMENTS: Final = definitions.staff_group_arguments()
STAFF_GROUP: Final = _STAFF_GROUP_ARGUMENTS["GroupName"]
STAFF_GROUP_DESCRIPTION: Final = _STAFF_GROUP_ARGUMENTS["Description"]

_APP_CLIENT_ARGUMENTS: Final = definitions.app_client_arguments()
APP_CLIENT_NAME: Final = _APP_CLIENT_ARGUMENTS["ClientName"]
# create_user_pool_client's arguments other than UserPoolId and ClientName.
APP_CLIENT_SETTINGS: Final[dict[str, Any]] = definitions.without(_APP_CLIENT_ARGUMENTS, "ClientName")

# moto routes a request without a signature by its path, and cannot tell that a GET of
# /<poolId>/.well-known/jwks.json is Cognito's: without this header it answers 500. Real Cognito
# ignores it, so a JWKS fetcher may always send it when COGNITO_JWKS_URL points at the emulator.
MOTO_JWKS_HEADERS: Final = {"X-Amz-Target": "AWSCognitoIdentityProviderService.GetJsonWebKeys"}

NO_ENDPOINT_MESSAGE: Final = (
    "AWS_ENDPOINT_URL is empty, so these calls would reach a real AWS account. The local stack only "
    "creates resources in an emulator: start one (python -m devstack.moto_server) and set "
    "AWS_ENDPOINT_URL=http://127.0.0.1:5000."
)


@dataclass(frozen=True)
class DevstackResources:
    """What ensure_resources() found or created: everything a process needs to use them."""

    bucket: str
    notes_table: str
    notes_stream_arn: str
    user_pool_id: str
    app_client_id: str
    region: str
    endpoint_url: str
    # Push (SNS): the platform applications by setting name, and the broadcast topic.
    push_application_arns: tuple[tuple[str, str], ...] = ()
    broadcast_topic_arn: str = ""

    @property
    def jwks_url(self) -> str:
        """Where moto serves the pool's keys (real Cognito serves them under the issuer URL)."""
        return f"{self.endpoint_url.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens: moto names the real AWS host, as Cognito does."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def ensure_resources() -> DevstackResources:
    """Find or create the bucket, the Notes table with its stream, and the Cognito pool, client and group.

    Idempotent: resources are looked up by name first, so a second run creates nothing. Only
    against an emulator: raises ImproperlyConfigured when AWS_ENDPOINT_URL is empty.
    """
    if not settings.AWS_ENDPOINT_URL:
        raise ImproperlyConfigured(NO_ENDPOINT_MESSAGE)
    bucket = ensure_bucket(settings.AWS_STORAGE_BUCKET_NAME)
    stream_arn = ensure_notes_table(settings.NOTES_TABLE)
    user_pool_id = ensure_user_pool(USER_POOL_NAME)
    app_client_id = ensure_app_client(user_pool_id, APP_CLIENT_NAME)
    ensure_group(user_pool_id, STAFF_GROUP, description=STAFF_GROUP_DESCRIPTION)
    push_application_arns, broadcast_topic_arn = ensure_push_resources()
    return DevstackResources(
        bucket=bucket,
        notes_table=settings.NOTES_TABLE,
        notes_stream_arn=stream_arn,
        user_pool_id=user_pool_id,
        app_client_id=app_client_id,
        region=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL,
        push_application_arns=push_application_arns,
        broadcast_topic_arn=broadcast_topic_arn,
    )


# moto takes any credentials; these only fill the attributes a real application requires.
LOCAL_PUSH_CREDENTIALS: Final = {"PlatformCredential": "local-only", "PlatformPrincipal": "local-only"}


def ensure_push_resources() -> tuple[tuple[tuple[str, str], ...], str]:
    """The SNS platform applications (by setting name) and the broadcast topic's ARN, created when missing."""
    arns = tuple(
        (
            application.setting,
            push_application_apply(
                name=application_name(stage=LOCAL_STAGE, application=application),
                platform=application.platform,
                attributes=LOCAL_PUSH_CREDENTIALS,
            ),
        )
        for application in PUSH_APPLICATIONS
    )
    # CreateTopic is idempotent for the same name and attributes.
    topic_arn: str = sns_client().create_topic(**definitions.broadcast_topic_arguments(stage=LOCAL_STAGE))["TopicArn"]
    return arns, topic_arn


def ensure_bucket(name: str) -> str:
    """The bucket `name`, created when missing, with the template's access block, encryption and ownership."""
    s3 = s3_client()
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        options: dict[str, Any] = {}
        if settings.AWS_REGION != "us-east-1":
            # us-east-1 is the one region that refuses an explicit LocationConstraint.
            options["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_REGION}
        s3.create_bucket(Bucket=name, **options)
    # Private and encrypted as on AWS, so nothing local works only because the bucket is open.
    # Each put replaces the setting: running this again changes nothing.
    configuration = definitions.media_bucket_configuration()
    s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=configuration["PublicAccessBlockConfiguration"]
    )
    s3.put_bucket_encryption(
        Bucket=name, ServerSideEncryptionConfiguration=configuration["ServerSideEncryptionConfiguration"]
    )
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=configuration["OwnershipControls"])
    return name


def ensure_notes_table(name: str) -> str:
    """The ARN of the stream of the notes table `name`; the table (or its stream) is created when missing."""
    dynamodb = dynamodb_client()
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(TableName=name, **definitions.notes_table_arguments())
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        table = dynamodb.describe_table(TableName=name)["Table"]
    if not table.get("StreamSpecification", {}).get("StreamEnabled"):
        # A table made by hand without a stream: the mirror's search indexing needs one.
        dynamodb.update_table(TableName=name, StreamSpecification=NOTES_STREAM_SPECIFICATION)
        table = dynamodb.describe_table(TableName=name)["Table"]
    stream_arn: str = table["LatestStreamArn"]
    return stream_arn


def ensure_user_pool(name: str) -> str:
    """The id of the user pool called `name` (the oldest if several), created when missing."""
    cognito = cognito_idp_client()
    pools = [
        pool
        for page in cognito.get_paginator("list_user_pools").paginate(PaginationConfig={"PageSize": 60})
        for pool in page["UserPools"]
        if pool["Name"] == name
    ]
    if pools:
        pool_id: str = min(pools, key=lambda pool: pool["CreationDate"])["Id"]
        return pool_id
    created: str = cognito.create_user_pool(PoolName=name, **USER_POOL_SETTINGS)["UserPool"]["Id"]
    return created


def ensure_app_client(user_pool_id: str, name: str) -> str:
    """The id of the pool's app client called `name`, created when missing."""
    cognito = cognito_idp_client()
    for page in cognito.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=user_pool_id, PaginationConfig={"PageSize": 60}
    ):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                existing: str = client["ClientId"]
                return existing
    response = cognito.create_user_pool_client(UserPoolId=user_pool_id, ClientName=name, **APP_CLIENT_SETTINGS)
    created: str = response["UserPoolClient"]["ClientId"]
    return created


def ensure_group(user_pool_id: str, name: str, *, description: str = "") -> str:
    """The pool's group `name`, created when missing."""
    cognito = cognito_idp_client()
    try:
        cognito.get_group(GroupName=name, UserPoolId=user_pool_id)
    except cognito.exceptions.ResourceNotFoundException:
        cognito.create_group(GroupName=name, UserPoolId=user_pool_id, Description=description)
    return name


def local_environment(resources: DevstackResources) -> dict[str, str]:
    """The environment variables a process (runserver, the poller, a test) needs to use `resources`."""
    environment = {
        "AWS_ENDPOINT_URL": resources.endpoint_url,
        "AWS_REGION": resources.region,
        "AWS_STORAGE_BUCKET_NAME": resources.bucket,
        "NOTES_TABLE": resources.notes_table,
        "COGNITO_USER_POOL_ID": resources.user_pool_id,
        "COGNITO_APP_CLIENT_IDS": resources.app_client_id,
        "COGNITO_JWKS_URL": resources.jwks_url,
        **dict(resources.push_application_arns),
    }
    if resources.broadcast_topic_arn:
        environment["SNS_BROADCAST_TOPIC_ARN"] = resources.broadcast_topic_arn
    # boto3 signs every request, even to moto; dummy keys only when there are none already.
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not os.environ.get(variable):
            environment[variable] = "testing"
    return environment


def cognito_user_signed_in(
    resources: DevstackResources,
    *,
    email: str,
    password: str,
    email_verified: bool = True,
    attributes: dict[str, str] | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """A confirmed user of the stack's pool (created if missing, password set), signed in.

    Returns Cognito's AuthenticationResult (IdToken, AccessToken, RefreshToken), as a mobile app
    gets it; for `make run`'s demo token and the tests.
    """
    cognito = cognito_idp_client()
    user_attributes = {"email": email, "email_verified": "true" if email_verified else "false", **(attributes or {})}
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=resources.user_pool_id,
            Username=email,
            UserAttributes=[{"Name": name, "Value": value} for name, value in user_attributes.items()],
            MessageAction="SUPPRESS",
        )
    cognito.admin_set_user_password(
        UserPoolId=resources.user_pool_id, Username=email, Password=password, Permanent=True
    )
    result: dict[str, Any] = cognito.admin_initiate_auth(
        UserPoolId=resources.user_pool_id,
        ClientId=client_id or resources.app_client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    return result
