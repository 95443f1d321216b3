"""Create or update one stage's infrastructure: the CloudFormation stack, then the CloudSearch domain it cannot hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError, WaiterError

from aws.clients import cloudsearch_client, get_client
from infra import definitions
from notes.search.schema import NOTES_INDEX_FIELDS

STACK_NAME_PREFIX: Final = "lambridge-"
# Zappa names ITS API Gateway stack after the function, "lambridge-<stage>": ours must never share
# that name, or `zappa deploy` would replace the bucket, table and pool with its API.
STACK_NAME_SUFFIX: Final = "-infra"
# The template has an IAM managed policy without a fixed name.
CAPABILITIES: Final = ("CAPABILITY_IAM",)
# CloudFront distributions take 5-15 minutes to create; a stack wait of an hour covers a slow day.
STACK_WAITER_CONFIG: Final = {"Delay": 10, "MaxAttempts": 360}
NO_UPDATES_MESSAGE: Final = "No updates are to be performed"
# A stack in one of these states can take a create/update now.
SETTLED_SUFFIXES: Final = ("_COMPLETE", "_FAILED")
# A first create that failed leaves this state, which only a delete gets out of.
ROLLED_BACK_CREATE: Final = "ROLLBACK_COMPLETE"
FAILED_EVENT_STATUSES: Final = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED")
FAILED_EVENT_COUNT: Final = 5

# Outputs → the environment variables of the next steps (make package, zappa, the app).
OUTPUT_VARIABLES: Final = {
    "MediaBucketName": "AWS_STORAGE_BUCKET_NAME",
    "MediaDistributionDomain": "MEDIA_CDN_DOMAIN",
    "NotesTableName": "NOTES_TABLE",
    "NotesStreamArn": "NOTES_STREAM_ARN",
    "UserPoolId": "COGNITO_USER_POOL_ID",
    "AppClientId": "COGNITO_APP_CLIENT_IDS",
    "CloudFrontKeyId": "CLOUDFRONT_KEY_ID",
    "FunctionPolicyArn": "LAMBRIDGE_FUNCTION_POLICY_ARN",
    "NotificationsTopicArn": "SNS_BROADCAST_TOPIC_ARN",
    "SearchBackend": "SEARCH_BACKEND",
}
# SEARCH_BACKEND values; `mysql` needs nothing from AWS, `cloudsearch` a domain (closed to new accounts).
SEARCH_BACKENDS: Final = ("mysql", "cloudsearch")


class InfraError(RuntimeError):
    """The stack or the search domain could not be brought to the wanted state; the message says why."""


@dataclass(frozen=True)
class StackRequest:
    """What the stack of one stage is made from."""

    stage: str
    template_body: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def stack_name(self) -> str:
        return stack_name(stage=self.stage)


@dataclass(frozen=True)
class StackResult:
    """The stack after infra_apply: what was done ("created", "updated", "unchanged") and its outputs."""

    name: str
    action: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class SearchDomainResult:
    """The CloudSearch domain after infra_apply; endpoints are empty while AWS is still creating it."""

    name: str
    created: bool
    fields_defined: list[str]
    indexing_started: bool
    document_endpoint: str
    search_endpoint: str
    note: str = ""


def stack_name(*, stage: str) -> str:
    """The CloudFormation stack name of `stage`, e.g. "lambridge-dev-infra"."""
    return f"{STACK_NAME_PREFIX}{stage}{STACK_NAME_SUFFIX}"


def default_search_domain(*, stage: str) -> str:
    """The CloudSearch domain of `stage` when none is named (the template's default too)."""
    return f"lambridge-{stage}"


def stack_parameters(
    *,
    stage: str,
    bucket_name: str = "",
    notes_table: str = "",
    search_domain: str = "",
    lambda_function_arn: str = "",
    cloudfront_public_key: str = "",
    search_backend: str = "mysql",
) -> dict[str, str]:
    """The template's parameters for `stage`; every one is passed, so a re-run never keeps an old value by accident."""
    return {
        "Stage": stage,
        "MediaBucketName": bucket_name,
        "NotesTableName": notes_table or "Notes",
        "SearchDomainName": search_domain or default_search_domain(stage=stage),
        "SearchBackend": search_backend,
        "LambdaFunctionArn": lambda_function_arn,
        "CloudFrontPublicKey": cloudfront_public_key,
    }


def stack_apply(*, request: StackRequest, say: Callable[[str], None] = lambda line: None) -> StackResult:
    """Create the stage's stack, or update it to `request`; waits until CloudFormation is done.

    Idempotent: with nothing to change the stack is left alone ("unchanged"). Raises InfraError with
    CloudFormation's own reasons when it fails or rolls back.
    """
    cloudformation = get_client("cloudformation")
    name = request.stack_name
    arguments: dict[str, Any] = {
        "StackName": name,
        "TemplateBody": request.template_body,
        "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in request.parameters.items()],
        "Capabilities": list(CAPABILITIES),
        "Tags": [{"Key": "lambridge:stage", "Value": request.stage}],
    }
    status = _stack_status(cloudformation, name)
    if status is not None and not status.endswith(SETTLED_SUFFIXES):
        raise InfraError(f"Stack {name} is busy ({status}); run again once it has finished.")
    if status == ROLLED_BACK_CREATE:
        raise InfraError(
            f"Stack {name}'s first creation failed and was rolled back; CloudFormation cannot update it. "
            f"See why in its events, fix that, delete it (aws cloudformation delete-stack --stack-name {name}) "
            "and run again."
        )
    if status is None:
        say(f"Creating stack {name} (CloudFront takes a while: 5-15 minutes)…")
        cloudformation.create_stack(**arguments, OnFailure="ROLLBACK")
        _wait(cloudformation, "stack_create_complete", name)
        action = "created"
    elif _stack_matches(cloudformation, request):
        # Nothing to send: the same template and parameters are deployed (no change set, no wait).
        action = "unchanged"
    else:
        try:
            cloudformation.update_stack(**arguments)
        except ClientError as exc:
            if NO_UPDATES_MESSAGE not in str(exc):
                raise
            action = "unchanged"
        else:
            say(f"Updating stack {name}…")
            _wait(cloudformation, "stack_update_complete", name)
            action = "updated"
    return StackResult(name=name, action=action, outputs=stack_outputs(name=name))


def stack_outputs(*, name: str) -> dict[str, str]:
    """The stack's outputs by key."""
    stack = get_client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _stack_matches(cloudformation: Any, request: StackRequest) -> bool:
    """Whether the stack already runs exactly `request`'s template with its parameters."""
    name = request.stack_name
    deployed = cloudformation.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    if isinstance(deployed, str):
        try:
            deployed = json.loads(deployed)
        except ValueError:
            return False
    if deployed != json.loads(request.template_body):
        return False
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    current = {
        parameter["ParameterKey"]: parameter.get("ParameterValue", "") for parameter in stack.get("Parameters", [])
    }
    return all(current.get(key) == value for key, value in request.parameters.items())


def _stack_status(cloudformation: Any, name: str) -> str | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    status: str = stacks[0]["StackStatus"]
    return None if status == "DELETE_COMPLETE" else status


def _wait(cloudformation: Any, waiter_name: str, name: str) -> None:
    try:
        cloudformation.get_waiter(waiter_name).wait(StackName=name, WaiterConfig=STACK_WAITER_CONFIG)
    except WaiterError:
        raise InfraError(_failure_message(cloudformation, name)) from None


def _failure_message(cloudformation: Any, name: str) -> str:
    status = _stack_status(cloudformation, name) or "gone"
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    reasons = [
        f"  {event['LogicalResourceId']}: {event.get('ResourceStatusReason', event['ResourceStatus'])}"
        for event in events
        if event["ResourceStatus"] in FAILED_EVENT_STATUSES
    ][:FAILED_EVENT_COUNT]
    return "\n".join([f"Stack {name} did not reach its new state ({status}). Latest failures:", *reasons])


# --- CloudSearch (CloudFormation has no resource for it) ----------------------------------------


def search_domain_apply(*, domain_name: str, endpoint_url: str | None = None) -> SearchDomainResult:
    """Create the CloudSearch domain if missing, (re)define the Notes index fields that differ, and
    start indexing when anything changed or the domain asks for it.

    Idempotent: a second run defines nothing and does not reindex. `endpoint_url` points the
    configuration API elsewhere (the local CloudSearch server).
    """
    client = cloudsearch_client(endpoint_url)
    found = _domain_status(client, domain_name)
    created = found is None
    status: dict[str, Any] = client.create_domain(DomainName=domain_name)["DomainStatus"] if found is None else found
    existing = {
        field["Options"]["IndexFieldName"]: field["Options"]
        for field in client.describe_index_fields(DomainName=domain_name)["IndexFields"]
        if not field["Status"].get("PendingDeletion")
    }
    defined = []
    for wanted in NOTES_INDEX_FIELDS:
        name = wanted["IndexFieldName"]
        if not _covers(existing.get(name), wanted):
            client.define_index_field(DomainName=domain_name, IndexField=wanted)
            defined.append(name)
    status = _domain_status(client, domain_name) or status
    indexing_started = False
    note = ""
    if defined or status.get("RequiresIndexDocuments"):
        try:
            client.index_documents(DomainName=domain_name)
            indexing_started = True
        except ClientError as exc:
            # A domain still being created may refuse it; the next run (idempotent) indexes.
            note = f"Indexing did not start yet ({exc.response['Error'].get('Message', exc)}); run infra_apply again."
    document_endpoint = status.get("DocService", {}).get("Endpoint", "")
    search_endpoint = status.get("SearchService", {}).get("Endpoint", "")
    if not (document_endpoint and search_endpoint):
        note = note or (
            f"Domain {domain_name} is still being created (about 10 minutes): run infra_apply again for its endpoints."
        )
    return SearchDomainResult(
        name=domain_name,
        created=created,
        fields_defined=defined,
        indexing_started=indexing_started,
        document_endpoint=document_endpoint,
        search_endpoint=search_endpoint,
        note=note,
    )


def _domain_status(client: Any, domain_name: str) -> dict[str, Any] | None:
    statuses = client.describe_domains(DomainNames=[domain_name])["DomainStatusList"]
    found = [status for status in statuses if status["DomainName"] == domain_name and not status.get("Deleted")]
    return found[0] if found else None


def _covers(actual: dict[str, Any] | None, wanted: Any) -> bool:
    """True when every value in `wanted` is in `actual` (which may carry defaults we did not set)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(_covers(actual.get(key), value) for key, value in wanted.items())
    return bool(actual == wanted)


# --- What the next steps need ------------------------------------------------------------------


def stage_variables(*, outputs: dict[str, str], search: SearchDomainResult | None) -> dict[str, str]:
    """The environment variables the stack and the search domain give the packaging step and the app."""
    variables = {variable: outputs[key] for key, variable in OUTPUT_VARIABLES.items() if outputs.get(key)}
    if outputs.get("MediaDistributionDomain"):
        variables["STATIC_URL"] = f"https://{outputs['MediaDistributionDomain']}/static/"
    if search is not None and search.document_endpoint and search.search_endpoint:
        variables["CLOUDSEARCH_DOCUMENT_ENDPOINT"] = search.document_endpoint
        variables["CLOUDSEARCH_SEARCH_ENDPOINT"] = search.search_endpoint
    return variables


def export_lines(*, outputs: dict[str, str], search: SearchDomainResult | None) -> list[str]:
    """`export NAME=value` lines for the packaging step and the stage's environment."""
    return [f"export {variable}={value}" for variable, value in stage_variables(outputs=outputs, search=search).items()]


def template_request(*, stage: str, parameters: dict[str, str], template_path: str | None = None) -> StackRequest:
    """A StackRequest for `stage` from the project's template (or another file at `template_path`)."""
    path = Path(template_path) if template_path else definitions.TEMPLATE_PATH
    return StackRequest(stage=stage, template_body=definitions.template_body(path), parameters=parameters)
