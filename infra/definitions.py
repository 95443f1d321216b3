"""infra/template.json's resources as boto3 arguments: devstack builds in moto what CloudFormation builds on AWS."""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any, Final

TEMPLATE_PATH: Final = Path(__file__).resolve().parent / "template.json"

# The logical ids devstack and infra_apply rely on: renaming one in the template means renaming it here.
MEDIA_BUCKET: Final = "MediaBucket"
NOTES_TABLE: Final = "NotesTable"
USER_POOL: Final = "UserPool"
APP_CLIENT: Final = "AppClient"
STAFF_GROUP: Final = "StaffGroup"
BROADCAST_TOPIC: Final = "NotificationsTopic"

# Pseudo parameters a local stack resolves to fixed values (moto's account and partition).
LOCAL_PSEUDO_PARAMETERS: Final = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "lambridge-local",
}
_NO_VALUE: Final = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something this module cannot resolve locally (an intrinsic, a resource attribute)."""


@functools.cache
def _cached_template(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The CloudFormation template as a dict (a fresh copy: callers may change it)."""
    template: dict[str, Any] = json.loads(_cached_template(path))
    return template


def template_body(path: Path = TEMPLATE_PATH) -> str:
    """The template's text, as CloudFormation's TemplateBody takes it."""
    return _cached_template(path)


def resolve(
    value: Any,
    *,
    parameters: dict[str, Any],
    template: dict[str, Any] | None = None,
    pseudo: dict[str, str] | None = None,
) -> Any:
    """`value` with Ref, Fn::Sub, Fn::If (and the conditions they name) resolved against `parameters`.

    Parameters missing from `parameters` take the template's Default. A Ref or ${...} naming a
    resource, or any other intrinsic function, raises TemplateError: the caller supplies such
    values itself (e.g. a pool id), so nothing is silently left unresolved.
    """
    template = template if template is not None else load_template()
    values = {name: _default(spec) for name, spec in template.get("Parameters", {}).items()}
    values |= {**LOCAL_PSEUDO_PARAMETERS, **(pseudo or {})} | parameters
    resolved = _resolve(value, values, template.get("Conditions", {}))
    return None if resolved is _NO_VALUE else resolved


def _default(spec: dict[str, Any]) -> Any:
    """A parameter's Default as a Ref gives it: a list for a CommaDelimitedList."""
    default = spec.get("Default", "")
    if spec.get("Type") == "CommaDelimitedList":
        return [item.strip() for item in str(default).split(",") if item.strip()]
    return default


def _resolve(value: Any, values: dict[str, Any], conditions: dict[str, Any]) -> Any:
    if isinstance(value, list):
        items = [_resolve(item, values, conditions) for item in value]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            if argument == "AWS::NoValue":
                return _NO_VALUE
            if argument not in values:
                raise TemplateError(f"Ref {argument} is not a parameter: pass its value in `parameters`.")
            return values[argument]
        if key == "Fn::Sub":
            return _substitute(argument, values, conditions)
        if key == "Fn::If":
            condition, when_true, when_false = argument
            chosen = when_true if _condition(condition, values, conditions) else when_false
            return _resolve(chosen, values, conditions)
        if key.startswith("Fn::"):
            raise TemplateError(f"{key} cannot be resolved locally.")
    resolved = {key: _resolve(item, values, conditions) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not _NO_VALUE}


def _substitute(argument: Any, values: dict[str, Any], conditions: dict[str, Any]) -> str:
    if isinstance(argument, list):
        text, extra = argument
        values = values | {name: _resolve(item, values, conditions) for name, item in extra.items()}
    else:
        text = argument

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"${{{name}}} is not a parameter: it cannot be resolved locally.")
        return str(values[name])

    return _SUB_VARIABLE.sub(replace, str(text)).replace("${!", "${")


def _condition(name: str, values: dict[str, Any], conditions: dict[str, Any]) -> bool:
    return bool(_evaluate(conditions[name], values, conditions))


def _evaluate(expression: Any, values: dict[str, Any], conditions: dict[str, Any]) -> Any:
    if isinstance(expression, dict) and len(expression) == 1:
        ((key, argument),) = expression.items()
        if key == "Fn::Not":
            return not _evaluate(argument[0], values, conditions)
        if key == "Fn::Equals":
            left, right = (_evaluate(item, values, conditions) for item in argument)
            return str(left) == str(right)
        if key == "Condition":
            return _condition(argument, values, conditions)
    return _resolve(expression, values, conditions)


def resource(logical_id: str, *, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """One resource of the template (Type, Properties, ...), e.g. resource(NOTES_TABLE)."""
    template = template if template is not None else load_template()
    try:
        found: dict[str, Any] = template["Resources"][logical_id]
    except KeyError:
        raise TemplateError(f"The template has no resource {logical_id}.") from None
    return found


def properties(
    logical_id: str, *, parameters: dict[str, Any] | None = None, omit: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A resource's Properties resolved for `parameters`, without the properties named in `omit`."""
    template = load_template()
    raw = {
        key: value for key, value in resource(logical_id, template=template)["Properties"].items() if key not in omit
    }
    resolved: dict[str, Any] = resolve(raw, parameters=parameters or {}, template=template)
    return resolved


# --- boto3 arguments, resource by resource ---------------------------------------------------


def notes_table_arguments() -> dict[str, Any]:
    """create_table arguments for the Notes table, except TableName (the caller's NOTES_TABLE)."""
    table = properties(NOTES_TABLE, omit=("TableName", "Tags", "PointInTimeRecoverySpecification"))
    # CloudFormation enables the stream by naming its view type; the API wants both.
    table["StreamSpecification"] = {"StreamEnabled": True, **table["StreamSpecification"]}
    return table


def notes_stream_specification() -> dict[str, Any]:
    """The Notes table's StreamSpecification as create_table/update_table take it."""
    specification: dict[str, Any] = notes_table_arguments()["StreamSpecification"]
    return specification


def media_bucket_configuration() -> dict[str, dict[str, Any]]:
    """The bucket's settings as the put_* calls take them: PublicAccessBlockConfiguration,
    ServerSideEncryptionConfiguration and OwnershipControls."""
    bucket = properties(MEDIA_BUCKET, omit=("BucketName", "Tags"))
    return {
        "PublicAccessBlockConfiguration": bucket["PublicAccessBlockConfiguration"],
        # CloudFormation names the rule list and the default rule differently from the API.
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    ("ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault" else key): value
                    for key, value in rule.items()
                }
                for rule in bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
        },
        "OwnershipControls": bucket["OwnershipControls"],
    }


def user_pool_arguments(*, stage: str, lambda_function_arn: str = "") -> dict[str, Any]:
    """create_user_pool arguments (PoolName included) for `stage`'s pool."""
    # EnabledMfas is CloudFormation's; the API sets it apart (set_user_pool_mfa_config).
    pool = properties(
        USER_POOL, parameters={"Stage": stage, "LambdaFunctionArn": lambda_function_arn}, omit=("EnabledMfas",)
    )
    pool["PoolName"] = pool.pop("UserPoolName")
    return pool


def app_client_arguments() -> dict[str, Any]:
    """create_user_pool_client arguments (ClientName included), except UserPoolId."""
    return properties(APP_CLIENT, omit=("UserPoolId",))


def staff_group_arguments() -> dict[str, Any]:
    """create_group arguments (GroupName, Description), except UserPoolId."""
    return properties(STAFF_GROUP, omit=("UserPoolId",))


def without(arguments: dict[str, Any], *names: str) -> dict[str, Any]:
    """A deep copy of `arguments` without the keys `names`."""
    return {key: copy.deepcopy(value) for key, value in arguments.items() if key not in names}


def broadcast_topic_arguments(*, stage: str) -> dict[str, Any]:
    """create_topic arguments (Name, Attributes) for `stage`'s push broadcast topic (SNS_BROADCAST_TOPIC_ARN)."""
    topic = properties(BROADCAST_TOPIC, parameters={"Stage": stage})
    name = topic.pop("TopicName")
    return {"Name": name, "Attributes": {key: str(value) for key, value in topic.items()}}
