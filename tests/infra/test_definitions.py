"""infra/definitions.py: the template's resources as boto3 arguments; devstack's resources in moto match them."""

from __future__ import annotations

import pytest

from aws.clients import cognito_idp_client, dynamodb_client, s3_client
from devstack.aws_resources import USER_POOL_NAME, DevstackResources
from infra import definitions
from infra.definitions import TemplateError, load_template, resolve

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:lambridge-dev"


def _template_properties(logical_id: str, **parameters: str) -> dict:
    return resolve(load_template()["Resources"][logical_id]["Properties"], parameters=parameters)


def test_devstacks_notes_table_matches_the_template(aws_stack: DevstackResources) -> None:
    template = _template_properties("NotesTable")

    table = dynamodb_client().describe_table(TableName=aws_stack.notes_table)["Table"]

    assert table["KeySchema"] == template["KeySchema"]
    assert table["AttributeDefinitions"] == template["AttributeDefinitions"]
    assert table["BillingModeSummary"]["BillingMode"] == template["BillingMode"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, **template["StreamSpecification"]}


def test_devstacks_bucket_is_as_private_and_encrypted_as_the_template_says(aws_stack: DevstackResources) -> None:
    template = _template_properties("MediaBucket")
    s3 = s3_client()

    block = s3.get_public_access_block(Bucket=aws_stack.bucket)["PublicAccessBlockConfiguration"]
    rules = s3.get_bucket_encryption(Bucket=aws_stack.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    ownership = s3.get_bucket_ownership_controls(Bucket=aws_stack.bucket)["OwnershipControls"]

    assert block == template["PublicAccessBlockConfiguration"]
    wanted_rule = template["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == wanted_rule["ServerSideEncryptionByDefault"]
    assert ownership == template["OwnershipControls"]


def test_devstacks_user_pool_client_and_group_match_the_template(aws_stack: DevstackResources) -> None:
    pool_template = _template_properties("UserPool", Stage="local")
    client_template = _template_properties("AppClient", UserPool="unused")
    group_template = _template_properties("StaffGroup", UserPool="unused")
    cognito = cognito_idp_client()

    pool = cognito.describe_user_pool(UserPoolId=aws_stack.user_pool_id)["UserPool"]
    client = cognito.describe_user_pool_client(UserPoolId=aws_stack.user_pool_id, ClientId=aws_stack.app_client_id)[
        "UserPoolClient"
    ]
    group = cognito.get_group(UserPoolId=aws_stack.user_pool_id, GroupName=group_template["GroupName"])["Group"]

    assert pool["Name"] == pool_template["UserPoolName"] == USER_POOL_NAME == "lambridge-local"
    assert pool["UsernameAttributes"] == pool_template["UsernameAttributes"]
    assert pool["AutoVerifiedAttributes"] == pool_template["AutoVerifiedAttributes"]
    assert pool["UsernameConfiguration"] == pool_template["UsernameConfiguration"]
    assert (
        pool["Policies"]["PasswordPolicy"]
        == pool["Policies"]["PasswordPolicy"] | pool_template["Policies"]["PasswordPolicy"]
    )
    schema = {attribute["Name"]: attribute for attribute in pool["SchemaAttributes"]}
    for wanted in pool_template["Schema"]:
        name = wanted["Name"] if wanted["Name"] == "email" else f"custom:{wanted['Name']}"
        assert schema[name]["AttributeDataType"] == wanted["AttributeDataType"]
        assert schema[name]["Mutable"] == wanted["Mutable"]
    assert schema["custom:legacy_user_id"]["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "20"}
    assert "LambdaConfig" not in pool or not pool["LambdaConfig"]
    assert client["ClientName"] == client_template["ClientName"]
    assert "ClientSecret" not in client
    assert set(client["ExplicitAuthFlows"]) == set(client_template["ExplicitAuthFlows"])
    assert set(client["ReadAttributes"]) == set(client_template["ReadAttributes"])
    assert client["WriteAttributes"] == client_template["WriteAttributes"]
    assert client["PreventUserExistenceErrors"] == client_template["PreventUserExistenceErrors"]
    assert group["Description"] == group_template["Description"]


def test_user_pool_arguments_wire_the_migration_trigger_only_when_a_function_is_given() -> None:
    without_function = definitions.user_pool_arguments(stage="dev")
    with_function = definitions.user_pool_arguments(stage="dev", lambda_function_arn=FUNCTION_ARN)

    assert without_function["PoolName"] == "lambridge-dev"
    assert "LambdaConfig" not in without_function
    assert with_function["LambdaConfig"] == {"UserMigration": FUNCTION_ARN}


def test_notes_table_arguments_enable_the_stream_as_the_api_wants() -> None:
    arguments = definitions.notes_table_arguments()

    assert arguments["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "TableName" not in arguments


def test_resolve_substitutes_parameters_and_defaults_and_chooses_branches() -> None:
    template = load_template()

    bucket = resolve(template["Resources"]["MediaBucket"]["Properties"]["BucketName"], parameters={"Stage": "qa"})
    named = resolve(
        template["Resources"]["MediaBucket"]["Properties"]["BucketName"],
        parameters={"Stage": "qa", "MediaBucketName": "photos-qa"},
    )
    table = resolve({"Ref": "NotesTableName"}, parameters={})

    assert bucket == "lambridge-media-qa"
    assert named == "photos-qa"
    assert table == "Notes"


def test_resolve_refuses_what_only_cloudformation_knows() -> None:
    with pytest.raises(TemplateError, match="GetAtt"):
        resolve({"Fn::GetAtt": ["NotesTable", "StreamArn"]}, parameters={})
    with pytest.raises(TemplateError, match="MediaDistribution"):
        resolve({"Fn::Sub": "distribution/${MediaDistribution}"}, parameters={})
