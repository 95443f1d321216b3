"""Push's place in the infrastructure: the devstack's applications and topic, infra_apply's platform
applications, the IAM actions, and the scheduled drain through Zappa's real handler."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from zappa.handler import LambdaHandler

from artifact.runtime import scheduled_event
from aws.clients import sns_client
from devstack.aws_resources import DevstackResources, ensure_resources, local_environment
from infra.definitions import load_template
from infra.push_applications import PUSH_APPLICATIONS
from push.models import Device
from tests.infra.test_infra_apply import moto_template
from tests.members import Member
from tests.project.test_static_files_on_lambda import zappa_settings_module_text
from tests.push.conftest import SnsRecord

PUSH_SOURCE = Path(__file__).resolve().parents[2] / "push" / "sns.py"


def _sns_operations_push_calls() -> set[str]:
    """The SNS operations push/sns.py calls (sns.create_platform_endpoint → sns:CreatePlatformEndpoint)."""
    calls = re.findall(r"\bsns(?:_client\(\))?\.([a-z_]+)\(", PUSH_SOURCE.read_text(encoding="utf-8"))
    return {"sns:" + "".join(part.title() for part in name.split("_")) for name in calls}


def test_the_function_policy_grants_exactly_the_sns_actions_push_uses() -> None:
    statements = load_template()["Resources"]["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    granted = set()
    for statement in statements:
        if "Fn::If" in statement:  # the search domain's statement, for cloudsearch stages only
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        granted |= {action for action in actions if action.startswith("sns:")}

    assert (
        _sns_operations_push_calls()
        == granted
        == {
            "sns:CreatePlatformEndpoint",
            "sns:GetEndpointAttributes",
            "sns:SetEndpointAttributes",
            "sns:DeleteEndpoint",
            "sns:Subscribe",
            "sns:Unsubscribe",
            "sns:Publish",
        }
    )


def test_the_devstack_makes_the_three_applications_and_the_topic_once(aws_stack: DevstackResources) -> None:
    again = ensure_resources()

    assert again.push_application_arns == aws_stack.push_application_arns
    assert again.broadcast_topic_arn == aws_stack.broadcast_topic_arn
    environment = local_environment(aws_stack)
    for application in PUSH_APPLICATIONS:
        assert environment[application.setting].endswith(
            f":app/{application.platform}/lambridge-local-{application.key}"
        )
    assert environment["SNS_BROADCAST_TOPIC_ARN"].endswith(":lambridge-local-notifications")


def test_infra_apply_creates_the_applications_whose_credentials_it_is_given(
    aws_stack: DevstackResources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = f"p{uuid.uuid4().hex[:8]}"
    key = tmp_path / "AuthKey.p8"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n")
    for name, value in {
        "APNS_SIGNING_KEY_FILE": str(key),
        "APNS_SIGNING_KEY_ID": "ABC123DEFG",
        "APNS_TEAM_ID": "TEAM123456",
        "APNS_BUNDLE_ID": "com.example.lambridge",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FCM_SERVICE_ACCOUNT_FILE", raising=False)

    template = tmp_path / "template.json"
    template.write_text(json.dumps(moto_template()), encoding="utf-8")
    out = StringIO()
    for _ in range(2):  # idempotent: the second run finds them
        call_command(
            "infra_apply",
            stage=stage,
            template=str(template),
            notes_table=f"Notes-{stage}",
            bucket_name=f"lambridge-media-{stage}",
            skip_search=True,
            stdout=out,
        )

    text = out.getvalue()
    assert f"SNS platform application lambridge-{stage}-fcm: skipped (set FCM_SERVICE_ACCOUNT_FILE" in text
    exports = re.findall(r"export (SNS_\w+)=(\S+)", text)
    assert {name for name, _ in exports} == {
        "SNS_APNS_APPLICATION_ARN",
        "SNS_APNS_SANDBOX_APPLICATION_ARN",
        "SNS_BROADCAST_TOPIC_ARN",
    }
    apps = [
        app["PlatformApplicationArn"]
        for app in sns_client().list_platform_applications()["PlatformApplications"]
        if f"/lambridge-{stage}-" in app["PlatformApplicationArn"]
    ]
    assert len(apps) == 2
    attributes = sns_client().get_platform_application_attributes(PlatformApplicationArn=apps[0])["Attributes"]
    assert attributes["ApplePlatformTeamID"] == "TEAM123456"
    assert "not a real key" not in text  # the signing key is never printed


@pytest.fixture
def zappa_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaHandler]:
    """Zappa's LambdaHandler with the settings module `zappa package` writes, in this process."""
    module_name = f"zappa_settings_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module_name}.py").write_text(zappa_settings_module_text("dev"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    saved_environment = dict(os.environ)
    LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]
    LambdaHandler.settings = None
    try:
        yield LambdaHandler(module_name)
    finally:
        LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]
        LambdaHandler.settings = None
        os.environ.clear()
        os.environ.update(saved_environment)


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_drain_sends_what_waited_through_zappas_handler(
    alice: Member, sns_record: SnsRecord, zappa_handler: LambdaHandler
) -> None:
    device = alice.device()
    Device.objects.filter(device_id=device["deviceId"]).update(
        sync_pending_since=timezone.now() - timedelta(seconds=40), sync_next_attempt_at=timezone.now()
    )

    result: Any = zappa_handler.handler(scheduled_event("push.events.push_drain_event"), None)

    assert result["sync"]["sent"] == 1
    endpoint = Device.objects.get(device_id=device["deviceId"]).endpoint_arn
    assert len(sns_record.messages(endpoint)) == 1
    assert settings.SNS_BROADCAST_TOPIC_ARN
