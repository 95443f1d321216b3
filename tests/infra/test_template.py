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

    # A statement only some stages need is wrapped in Fn::If [condition, statement, its opposite].
    statements = [
        statement["Fn::If"][1] if "Fn::If" in statement else statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
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


def test_cloudsearch_is_optional_and_mysql_search_is_the_default() -> None:
    template = load_template()
    (policy,) = _resources("AWS::IAM::ManagedPolicy").values()
    conditional = [
        statement["Fn::If"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "Fn::If" in statement
    ]

    assert template["Parameters"]["SearchBackend"]["Default"] == "mysql"
    assert template["Parameters"]["SearchBackend"]["AllowedValues"] == ["mysql", "cloudsearch"]
    assert template["Conditions"]["UsesCloudSearch"] == {"Fn::Equals": [{"Ref": "SearchBackend"}, "cloudsearch"]}
    # The domain is granted (and named in the outputs) only to a stage that uses it; the others are
    # denied CloudSearch outright (not AWS::NoValue, which moto's CloudFormation leaves as a null).
    ((name, granted, denied),) = conditional
    assert (name, granted["Sid"], granted["Effect"]) == ("UsesCloudSearch", "Search", "Allow")
    assert (denied["Sid"], denied["Effect"], denied["Action"]) == ("NoSearchDomain", "Deny", granted["Action"])
    assert template["Outputs"]["SearchDomainName"]["Condition"] == "UsesCloudSearch"
    assert template["Outputs"]["SearchBackend"]["Value"] == {"Ref": "SearchBackend"}


def test_without_a_signing_key_the_distribution_serves_no_photo_unsigned() -> None:
    (distribution,) = _resources("AWS::CloudFront::Distribution").values()
    (refusal_name, refusal), *others = _resources("AWS::CloudFront::Function").items()
    conditions = load_template()["Conditions"]

    default = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    # Exactly one of the two guards holds, whatever CloudFrontPublicKey is: a key group, or a refusal.
    assert default["TrustedKeyGroups"]["Fn::If"][0] == "HasSigningKey"
    assert default["TrustedKeyGroups"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert default["FunctionAssociations"]["Fn::If"] == [
        "HasSigningKey",
        {"Ref": "AWS::NoValue"},
        [{"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [refusal_name, "FunctionARN"]}}],
    ]
    assert refusal["Condition"] == "NoSigningKey"
    assert conditions["NoSigningKey"] == {"Fn::Not": [{"Condition": "HasSigningKey"}]}
    assert refusal["Properties"]["AutoPublish"] is True
    assert "statusCode: 403" in refusal["Properties"]["FunctionCode"]
    assert others == []
    # static/* (the admin's CSS and JS, public by nature) is the only other way into the bucket.
    behaviors = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
    assert [behavior["PathPattern"] for behavior in behaviors] == ["static/*"]


def test_the_function_deletes_only_photos_and_never_writes_static_files() -> None:
    (policy,) = _resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    media = [statement for statement in statements if any("MediaBucket.Arn" in str(r) for r in _listed(statement))]
    object_resources = {str(resource) for statement in media for resource in _listed(statement["Resource"])}
    deletes = [statement for statement in media if "s3:DeleteObject" in _listed(statement["Action"])]

    assert all("static" not in resource and not resource.endswith("}/*'}") for resource in object_resources)
    # The photos of a deleted account go (SPEC §12): app uploads, staff photos, copies of the site's.
    assert [set(map(str, _listed(statement["Resource"]))) for statement in deletes] == [
        {
            "{'Fn::Sub': '${MediaBucket.Arn}/uploads/*'}",
            "{'Fn::Sub': '${MediaBucket.Arn}/staff/*'}",
            "{'Fn::Sub': '${MediaBucket.Arn}/legacy/*'}",
        }
    ]
    assert all(_listed(statement["Action"]) == ["s3:DeleteObject"] for statement in deletes)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def test_the_user_pool_can_require_totp_for_the_staff_sign_in() -> None:
    template = load_template()
    (pool,) = _resources("AWS::Cognito::UserPool").values()

    assert template["Parameters"]["UserPoolMfa"]["AllowedValues"] == ["OFF", "OPTIONAL", "ON"]
    assert template["Parameters"]["UserPoolMfa"]["Default"] == "OPTIONAL"  # users may add TOTP
    assert pool["Properties"]["MfaConfiguration"] == {"Ref": "UserPoolMfa"}
    assert pool["Properties"]["EnabledMfas"]["Fn::If"][:2] == ["HasUserPoolMfa", ["SOFTWARE_TOKEN_MFA"]]


def test_an_optional_parameter_group_turns_on_the_row_based_binlog_that_cdc_reads() -> None:
    template = load_template()
    (group,) = _resources("AWS::RDS::DBParameterGroup").values()

    assert template["Parameters"]["DatabaseParameterGroupFamily"]["Default"] == ""
    assert group["Condition"] == "HasDatabaseParameterGroup"
    assert group["Properties"]["Parameters"] == {
        "binlog_format": "ROW",
        "binlog_row_image": "FULL",
        "binlog_row_metadata": "FULL",
    }
    assert template["Outputs"]["BinlogParameterGroupName"]["Value"] == {"Ref": "BinlogParameterGroup"}


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

    assert pool["MfaConfiguration"] == {"Ref": "UserPoolMfa"}
    assert template["Parameters"]["UserPoolMfa"]["Default"] == "OPTIONAL"
    assert pool["EnabledMfas"]["Fn::If"][:2] == ["HasUserPoolMfa", ["SOFTWARE_TOKEN_MFA"]]
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


def test_large_exports_go_to_their_own_prefix_and_are_gone_after_a_day() -> None:
    bucket = load_template()["Resources"]["MediaBucket"]
    (policy,) = _resources("AWS::IAM::ManagedPolicy").values()
    by_sid = {statement.get("Sid"): statement for statement in policy["Properties"]["PolicyDocument"]["Statement"]}

    assert bucket["Properties"]["LifecycleConfiguration"]["Rules"] == [
        {"Id": "ExportsExpireAfterADay", "Status": "Enabled", "Prefix": "exports/", "ExpirationInDays": 1}
    ]
    assert {"Fn::Sub": "${MediaBucket.Arn}/exports/*"} in by_sid["MediaObjects"]["Resource"]
    assert {"s3:GetObject", "s3:PutObject"} <= set(by_sid["MediaObjects"]["Action"])
