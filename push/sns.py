"""The SNS calls of push, with SNS's errors turned into the few outcomes the services act on.

Nothing here touches the database: callers run these outside any transaction or lock.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from aws.clients import sns_client

# CreatePlatformEndpoint is idempotent only while the attributes match; otherwise SNS answers
# InvalidParameter naming the endpoint it already has for the token.
_EXISTING_ENDPOINT: Final = re.compile(r"Endpoint (arn:\S+) already exists with the same [Tt]oken")
_GONE_CODES: Final = frozenset({"NotFound", "ResourceNotFound"})


class PushUnavailable(Exception):
    """SNS did not answer, or answered with an error on its side: worth retrying later."""


class TokenRejected(Exception):
    """SNS refused the token for the platform application."""


class EndpointGone(Exception):
    """The endpoint is disabled (SNS got "unregistered" from APNs/FCM) or was deleted."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _unavailable(exc: Exception) -> PushUnavailable:
    # The message names the operation and SNS's code, never the request's parameters (the token).
    if isinstance(exc, ClientError):
        return PushUnavailable(f"SNS {exc.operation_name}: {_code(exc)}")
    return PushUnavailable(f"SNS unreachable: {type(exc).__name__}")


def custom_user_data(site_user_id: int) -> str:
    """The endpoint's CustomUserData: whose device it is, for whoever looks at it in SNS."""
    return json.dumps({"siteUserId": site_user_id})


def endpoint_ensure(*, application_arn: str, token: str, user_data: str, known_arn: str = "") -> str:
    """The ARN of an enabled endpoint for ``token`` in the application, carrying ``user_data``.

    Reuses ``known_arn`` when it still exists; otherwise creates the endpoint, and when SNS
    already has one for the token with other attributes, takes that one. Either way the endpoint
    ends up enabled with this token and user data (AWS's recommended registration logic).
    """
    sns = sns_client()
    try:
        if known_arn:
            attributes = _attributes(known_arn)
            if attributes is not None:
                _fix(known_arn, attributes, token=token, user_data=user_data)
                return known_arn
        try:
            arn: str = sns.create_platform_endpoint(
                PlatformApplicationArn=application_arn, Token=token, CustomUserData=user_data
            )["EndpointArn"]
        except ClientError as exc:
            found = _EXISTING_ENDPOINT.search(_message(exc)) if _code(exc) == "InvalidParameter" else None
            if found is None:
                if _code(exc) == "InvalidParameter":
                    raise TokenRejected(_message(exc).replace(token, "…")) from None
                raise
            arn = found.group(1)
            _set(arn, {"Token": token, "Enabled": "true", "CustomUserData": user_data})
            return arn
        attributes = _attributes(arn)
        if attributes is not None:
            _fix(arn, attributes, token=token, user_data=user_data)
        return arn
    except ClientError as exc:
        raise _unavailable(exc) from None
    except BotoCoreError as exc:
        raise _unavailable(exc) from None


def _attributes(arn: str) -> dict[str, str] | None:
    try:
        attributes: dict[str, str] = sns_client().get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    except ClientError as exc:
        if _code(exc) in _GONE_CODES:
            return None
        raise
    return attributes


def _fix(arn: str, attributes: dict[str, str], *, token: str, user_data: str) -> None:
    """Re-enable the endpoint and give it the current token and owner when they differ."""
    wanted = {"Token": token, "Enabled": "true", "CustomUserData": user_data}
    if any(str(attributes.get(name, "")).lower() != value.lower() for name, value in wanted.items()):
        _set(arn, wanted)


def _set(arn: str, attributes: dict[str, str]) -> None:
    sns_client().set_endpoint_attributes(EndpointArn=arn, Attributes=attributes)


def endpoint_subscribe(*, topic_arn: str, endpoint_arn: str) -> str:
    """Subscribe the endpoint to the broadcast topic; the subscription's ARN."""
    try:
        subscription: str = sns_client().subscribe(
            TopicArn=topic_arn, Protocol="application", Endpoint=endpoint_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None
    return subscription


def endpoint_delete(*, endpoint_arn: str, subscription_arn: str = "") -> None:
    """Delete the endpoint and its topic subscription; already gone is fine."""
    sns = sns_client()
    try:
        if subscription_arn:
            try:
                sns.unsubscribe(SubscriptionArn=subscription_arn)
            except ClientError as exc:
                if _code(exc) not in _GONE_CODES:
                    raise
        if endpoint_arn:
            sns.delete_endpoint(EndpointArn=endpoint_arn)  # idempotent in SNS
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None


def publish_to_endpoint(*, endpoint_arn: str, message: dict[str, str], attributes: dict[str, Any] | None = None) -> str:
    """Publish a MessageStructure=json message to one endpoint; the message id.

    Raises EndpointGone when SNS says the endpoint is disabled or does not exist, PushUnavailable
    for anything else.
    """
    try:
        message_id: str = sns_client().publish(
            TargetArn=endpoint_arn,
            Message=json.dumps(message),
            MessageStructure="json",
            **({"MessageAttributes": attributes} if attributes else {}),
        )["MessageId"]
    except ClientError as exc:
        if _code(exc) == "EndpointDisabled" or _code(exc) in _GONE_CODES:
            raise EndpointGone(_code(exc)) from None
        raise _unavailable(exc) from None
    except BotoCoreError as exc:
        raise _unavailable(exc) from None
    return message_id


def publish_to_topic(*, topic_arn: str, message: dict[str, str]) -> str:
    """Publish a MessageStructure=json message to the broadcast topic; the message id."""
    try:
        message_id: str = sns_client().publish(
            TopicArn=topic_arn, Message=json.dumps(message), MessageStructure="json"
        )["MessageId"]
    except (ClientError, BotoCoreError) as exc:
        raise _unavailable(exc) from None
    return message_id
