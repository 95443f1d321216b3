"""artifact.render: zappa_settings.json's placeholders filled from the environment, or the stage refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from artifact.build import artifact_path
from artifact.build import main as build_main
from artifact.render import UnfilledPlaceholders, UnsafeStageLogging, placeholders_in, render_settings, stage_config

ROOT = Path(__file__).resolve().parent.parent.parent
STREAM_ARN = "arn:aws:dynamodb:eu-west-1:111122223333:table/Notes/stream/2026-11-21T10:00:00.000"
# What infra_apply prints for a stage that searches with MySQL (the default) ...
MYSQL_SEARCH_EXPORTS = {
    "NOTES_STREAM_ARN": STREAM_ARN,
    "COGNITO_USER_POOL_ID": "eu-west-1_AbCdEf123",
    "AWS_STORAGE_BUCKET_NAME": "lambridge-media-production",
    "VPC_SUBNET_IDS": "subnet-0aaa,subnet-0bbb",
    "VPC_SECURITY_GROUP_IDS": "sg-0ccc",
}
# ... and for one that has a CloudSearch domain.
INFRA_EXPORTS = MYSQL_SEARCH_EXPORTS | {
    "SEARCH_BACKEND": "cloudsearch",
    "CLOUDSEARCH_DOCUMENT_ENDPOINT": "doc-lambridge-notes-abc123xyz.eu-west-1.cloudsearch.amazonaws.com",
}


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    settings: dict[str, Any] = json.loads((ROOT / "zappa_settings.json").read_text())
    return settings


@pytest.mark.parametrize("stage", ["dev", "staging", "production"])
def test_every_stage_is_refused_while_infra_values_are_missing(committed: dict[str, Any], stage: str) -> None:
    with pytest.raises(UnfilledPlaceholders) as refused:
        render_settings(committed, stage=stage, environment={})
    with pytest.raises(UnfilledPlaceholders) as refused_cloudsearch:
        render_settings(committed, stage=stage, environment={"SEARCH_BACKEND": "cloudsearch"})

    assert refused.value.names == sorted(MYSQL_SEARCH_EXPORTS)
    assert "NOTES_STREAM_ARN=..." in str(refused.value)
    assert refused_cloudsearch.value.names == sorted(set(INFRA_EXPORTS) - {"SEARCH_BACKEND"})


def test_one_missing_value_is_named_alone(committed: dict[str, Any]) -> None:
    environment = {name: value for name, value in INFRA_EXPORTS.items() if name != "COGNITO_USER_POOL_ID"}

    with pytest.raises(UnfilledPlaceholders) as refused:
        render_settings(committed, stage="production", environment=environment)

    assert refused.value.names == ["COGNITO_USER_POOL_ID"]


def test_the_stream_arn_routes_the_stream_and_scopes_the_iam_statements(committed: dict[str, Any]) -> None:
    production = stage_config(render_settings(committed, stage="production", environment=INFRA_EXPORTS), "production")

    stream_events = [event for event in production["events"] if "event_source" in event]
    assert stream_events == [
        {
            "function": "notes.stream.stream_handler",
            "event_source": {
                "arn": STREAM_ARN,
                "starting_position": "TRIM_HORIZON",
                "batch_size": 100,
                "enabled": True,
            },
        }
    ]
    resources = {statement["Sid"]: statement["Resource"] for statement in production["extra_permissions"]}
    assert resources["NotesTable"] == ["arn:aws:dynamodb:eu-west-1:111122223333:table/Notes"]
    assert resources["NotesStream"] == ["arn:aws:dynamodb:eu-west-1:111122223333:table/Notes/stream/*"]
    assert resources["SearchDomain"] == ["arn:aws:cloudsearch:eu-west-1:111122223333:domain/lambridge-notes"]
    assert resources["StaffSignInWithCognito"] == [
        "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEf123"
    ]
    # Photos only: the function never writes static/ (collectstatic runs on the operator's machine)
    # and deletes only photos: app uploads, staff uploads and copies of the site's (account deletion).
    assert resources["MediaObjects"] == [
        "arn:aws:s3:::lambridge-media-production/uploads/*",
        "arn:aws:s3:::lambridge-media-production/staff/*",
        "arn:aws:s3:::lambridge-media-production/legacy/*",
    ]
    assert resources["MediaObjectDeletes"] == [
        "arn:aws:s3:::lambridge-media-production/uploads/*",
        "arn:aws:s3:::lambridge-media-production/staff/*",
        "arn:aws:s3:::lambridge-media-production/legacy/*",
    ]
    assert resources["PushNotifications"] == ["arn:aws:sns:eu-west-1:111122223333:lambridge-*"]
    assert production["cognito"]["user_pool"] == "eu-west-1_AbCdEf123"
    assert production["environment_variables"]["COGNITO_USER_POOL_ID"] == "eu-west-1_AbCdEf123"
    assert production["s3_bucket"] == "lambridge-zappa-111122223333-eu-west-1"
    assert production["vpc_config"] == {"SubnetIds": ["subnet-0aaa", "subnet-0bbb"], "SecurityGroupIds": ["sg-0ccc"]}
    assert placeholders_in(production) == set()


def test_no_statement_grants_every_resource_except_where_aws_accepts_nothing_else(committed: dict[str, Any]) -> None:
    production = stage_config(render_settings(committed, stage="production", environment=INFRA_EXPORTS), "production")
    base_policy = json.loads((ROOT / production["attach_policy"]).read_text())

    for statement in production["extra_permissions"]:
        assert all("*" not in action for action in statement["Action"]), statement
        assert "*" not in statement["Resource"], statement
    starred = [statement["Sid"] for statement in base_policy["Statement"] if statement["Resource"] == "*"]
    assert starred == [
        "VpcNetworkInterfacesAwsAcceptsOnlyStar",
        "StreamListingAwsAcceptsOnlyStar",
        "XRayTracesAwsAcceptsOnlyStar",
    ]


def test_real_stages_never_log_events_and_production_uses_snapstart(committed: dict[str, Any]) -> None:
    for stage in ("dev", "staging", "production"):
        config = stage_config(committed, stage)
        assert config["debug"] is False
        assert config["use_precompiled_packages"] is False
        assert config["runtime"] == "python3.12"
    assert stage_config(committed, "staging")["log_level"] == "WARNING"
    assert stage_config(committed, "production")["log_level"] == "WARNING"
    assert stage_config(committed, "production")["snap_start"] == "PublishedVersions"
    assert stage_config(committed, "staging")["xray_tracing"] is True
    assert stage_config(committed, "production")["xray_tracing"] is True


def test_a_local_render_fills_what_is_missing_and_keeps_what_is_given(committed: dict[str, Any]) -> None:
    moto_stream = "arn:aws:dynamodb:us-east-1:123456789012:table/Notes/stream/2026-11-21T09:00:00.123456"

    dev = stage_config(
        render_settings(committed, stage="dev", environment={"NOTES_STREAM_ARN": moto_stream}, local=True), "dev"
    )

    assert [event["event_source"]["arn"] for event in dev["events"] if "event_source" in event] == [moto_stream]
    assert dev["cognito"]["user_pool"] == "local-cognito-user-pool-id"
    assert placeholders_in(dev) == set()


def test_a_mysql_search_stage_ships_without_the_cloudsearch_statement(committed: dict[str, Any]) -> None:
    mysql = stage_config(render_settings(committed, stage="production", environment=MYSQL_SEARCH_EXPORTS), "production")
    cloudsearch = stage_config(render_settings(committed, stage="production", environment=INFRA_EXPORTS), "production")

    assert "SearchDomain" not in {statement["Sid"] for statement in mysql["extra_permissions"]}
    assert mysql["environment_variables"]["SEARCH_BACKEND"] == "mysql"
    assert placeholders_in(mysql) == set()
    assert "SearchDomain" in {statement["Sid"] for statement in cloudsearch["extra_permissions"]}
    assert cloudsearch["environment_variables"]["SEARCH_BACKEND"] == "cloudsearch"
    # Everything else is the same.
    assert len(cloudsearch["extra_permissions"]) == len(mysql["extra_permissions"]) + 1


@pytest.mark.parametrize("stage", ["staging", "production"])
@pytest.mark.parametrize(
    "change",
    [
        {"debug": True},
        {"debug": "true"},
        {"log_level": "DEBUG"},
        {"log_level": "debug"},
        {"log_level": "NOTSET"},
        {"environment_variables": {"LOG_LEVEL": "DEBUG"}},
        {"environment_variables": {"DEBUG": "True"}},
    ],
)
def test_a_real_stage_that_would_log_raw_events_is_refused(
    committed: dict[str, Any], stage: str, change: dict[str, Any]
) -> None:
    settings = json.loads(json.dumps(committed))
    for name, value in change.items():
        if isinstance(value, dict):
            settings[stage][name] = settings[stage].get(name, {}) | value
        else:
            settings[stage][name] = value

    with pytest.raises(UnsafeStageLogging):
        render_settings(settings, stage=stage, environment={}, local=True)


@pytest.mark.parametrize("stage", ["dev", "staging", "production"])
@pytest.mark.parametrize("name", ["debug", "log_level"])
def test_a_stage_that_leaves_zappas_debug_defaults_in_place_is_refused(
    committed: dict[str, Any], stage: str, name: str
) -> None:
    settings = json.loads(json.dumps(committed))
    # Removed wherever the stage could inherit it from: Zappa's default (debug on, DEBUG) applies.
    for config in settings.values():
        config.pop(name, None)

    with pytest.raises(UnsafeStageLogging, match=name):
        render_settings(settings, stage=stage, environment={}, local=True)


def test_the_committed_stages_render(committed: dict[str, Any]) -> None:
    for stage in ("dev", "staging", "production"):
        render_settings(committed, stage=stage, environment={}, local=True)


def test_make_package_fails_when_the_deployable_zip_cannot_be_built(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("NOTES_STREAM_ARN", "COGNITO_USER_POOL_ID", "AWS_STORAGE_BUCKET_NAME", "VPC_SUBNET_IDS"):
        monkeypatch.delenv(name, raising=False)
    local_zip = artifact_path("staging", local=True)
    before = local_zip.stat().st_mtime if local_zip.exists() else None

    status = build_main(["--stage", "staging"])

    assert status == 1
    assert "NOTES_STREAM_ARN=..." in capsys.readouterr().err
    assert (local_zip.stat().st_mtime if local_zip.exists() else None) == before
