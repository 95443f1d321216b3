"""infra/template.json: cfn-lint finds nothing; the resources say what the mirror, the apps and the function need."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.api import ManualArgs, lint, lint_file

from infra.definitions import TEMPLATE_PATH, load_template

EXPECTED_OUTPUTS = {
    "MediaBucketName",
    "MediaDistributionDomain",
    "NotesTableName",
    "NotesStreamArn",
    "UserPoolId",
    "AppClientId",
    "FunctionPolicyArn",
}


def _findings(template: dict[str, Any] | None = None) -> list[str]:
    # Informational checks too: any finding at all fails.
    config = ManualArgs(include_checks=["I"])
    matches = lint_file(TEMPLATE_PATH, config=config) if template is None else lint(json.dumps(template), config=config)
    return [f"{match.rule.id} {match.linenumber}: {match.message}" for match in matches]


def _resources(of_type: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in load_template()["Resources"].items() if spec["Type"] == of_type}


def test_cfn_lint_finds_nothing_in_the_template() -> None:
    assert _findings() == []


def test_cfn_lint_really_checks_it_a_broken_template_has_findings() -> None:
    template = load_template()
    template["Resources"]["NotesTable"]["Properties"]["BillingMode"] = "FREE"

    assert any(finding.startswith("E3030") for finding in _findings(template))


def test_the_template_is_plain_json_python_reads_without_yaml_tags() -> None:
    assert json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))["AWSTemplateFormatVersion"] == "2010-09-09"


def test_the_media_bucket_is_private_encrypted_and_read_by_cloudfront_only() -> None:
    (bucket,) = _resources("AWS::S3::Bucket").values()
    (policy,) = _resources("AWS::S3::BucketPolicy").values()
    (distribution,) = _resources("AWS::CloudFront::Distribution").values()

    properties = bucket["Properties"]
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["DeletionPolicy"] == "Retain"
    allow = [
        statement for statement in policy["Properties"]["PolicyDocument"]["Statement"] if statement["Effect"] == "Allow"
    ]
    assert [statement["Principal"] for statement in allow] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allow[0]["Condition"]["StringEquals"]
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": ["MediaOriginAccessControl", "Id"]}
    assert [behavior["PathPattern"] for behavior in config["CacheBehaviors"]] == ["static/*"]
    # Signed URLs only when a key is given.
    assert config["DefaultCacheBehavior"]["TrustedKeyGroups"]["Fn::If"][0] == "HasSigningKey"


def test_the_notes_table_is_keyed_on_note_id_with_a_new_and_old_images_stream() -> None:
    (table,) = _resources("AWS::DynamoDB::Table").values()

    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "noteId", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "noteId", "AttributeType": "S"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_stream_mapping_has_a_starting_position_and_limits_and_waits_for_the_function() -> None:
    (mapping,) = _resources("AWS::Lambda::EventSourceMapping").values()

    properties = mapping["Properties"]
    # What Zappa 0.61-0.63 leaves out, so AWS refuses its mapping (DESIGN.md).
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["NotesTable", "StreamArn"]}
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["BatchSize"] == {"Ref": "StreamBatchSize"}
    assert properties["MaximumRetryAttempts"] == {"Ref": "StreamMaximumRetryAttempts"}
    assert properties["DestinationConfig"]["OnFailure"]["Destination"]
    assert mapping["Condition"] == "HasFunction"


def test_the_user_pool_client_group_and_migration_trigger() -> None:
    (pool,) = _resources("AWS::Cognito::UserPool").values()
    (client,) = _resources("AWS::Cognito::UserPoolClient").values()
    (group,) = _resources("AWS::Cognito::UserPoolGroup").values()
    (permission,) = _resources("AWS::Lambda::Permission").values()

    assert pool["Properties"]["UsernameAttributes"] == ["email"]
    assert pool["Properties"]["AutoVerifiedAttributes"] == ["email"]
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 8
    assert pool["Properties"]["LambdaConfig"] == {
        "Fn::If": ["HasFunction", {"UserMigration": {"Ref": "LambdaFunctionArn"}}, {"Ref": "AWS::NoValue"}]
    }
    assert client["Properties"]["GenerateSecret"] is False
    assert set(client["Properties"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
    }
    assert "custom:legacy_user_id" not in client["Properties"]["WriteAttributes"]
    assert group["Properties"]["GroupName"] == "staff"
    assert permission["Condition"] == "HasFunction"
    assert permission["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}


def test_the_function_policy_names_its_resources_and_wildcards_nothing_it_need_not() -> None:
    (policy,) = _resources("AWS::IAM::ManagedPolicy").values()

    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert set(by_sid) >= {"MediaObjects", "MediaListing", "NotesTable", "NotesStream", "Search", "Notifications"}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(not action.endswith("*") for action in actions), statement
        assert statement["Resource"] != "*", statement
    assert set(by_sid["Search"]["Action"]) == {"cloudsearch:document", "cloudsearch:search"}
    assert by_sid["NotesStream"]["Resource"] == {"Fn::Sub": "${NotesTable.Arn}/stream/*"}


def test_the_outputs_carry_what_packaging_and_the_app_need_and_the_policy_is_exported() -> None:
    outputs = load_template()["Outputs"]

    assert set(outputs) >= EXPECTED_OUTPUTS
    assert outputs["NotesStreamArn"]["Value"] == {"Fn::GetAtt": ["NotesTable", "StreamArn"]}
    assert outputs["FunctionPolicyArn"]["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-FunctionPolicyArn"}


def test_operators_get_alarms_on_what_breaks_quietly_through_one_topic() -> None:
    alarms = _resources("AWS::CloudWatch::Alarm")
    (topic_id,) = [name for name, spec in _resources("AWS::SNS::Topic").items() if "alarms" in json.dumps(spec)]
    by_metric = {}
    for spec in alarms.values():
        properties = spec["Properties"]
        assert properties["AlarmActions"] == [{"Ref": topic_id}]
        metrics = [properties.get("MetricName")] + [
            query["MetricStat"]["Metric"]["MetricName"]
            for query in properties.get("Metrics", [])
            if "MetricStat" in query
        ]
        for metric in filter(None, metrics):
            by_metric[metric] = properties

    # The 5xx rate and the mirror's backlog come from the function's own EMF lines (aws/metrics.py).
    assert {"Status5xx", "Requests", "MirrorBacklogAge", "IteratorAge", "Throttles"} <= set(by_metric)
    assert by_metric["MirrorBacklogAge"]["Namespace"] == {"Ref": "MetricsNamespace"}
    assert by_metric["MirrorBacklogAge"]["Threshold"] == {"Ref": "AlarmMirrorBacklogSeconds"}
    assert by_metric["ApproximateNumberOfMessagesVisible"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["StreamFailureQueue", "QueueName"]
    }
    assert load_template()["Parameters"]["MetricsNamespace"]["Default"] == "Lambridge"


def test_sign_in_options_hosted_ui_oauth_optional_social_providers_and_optional_mfa() -> None:
    template = load_template()
    pool = template["Resources"]["UserPool"]["Properties"]
    client = template["Resources"]["AppClient"]["Properties"]
    providers = _resources("AWS::Cognito::UserPoolIdentityProvider")

    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert _resources("AWS::Cognito::UserPoolDomain")
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert {spec["Properties"]["ProviderType"] for spec in providers.values()} == {
        "SignInWithApple",
        "Google",
        "Facebook",
    }
    # None is required: each provider exists only when its parameter is given.
    for spec in providers.values():
        assert spec["Condition"] in template["Conditions"]
    for name in ("AppleServicesId", "GoogleClientId", "FacebookAppId", "AlarmEmail"):
        assert template["Parameters"][name]["Default"] == ""
    for name in ("ApplePrivateKey", "GoogleClientSecret", "FacebookAppSecret"):
        assert template["Parameters"][name]["NoEcho"] is True
