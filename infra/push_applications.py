"""SNS platform applications (APNs, APNs sandbox, FCM): CloudFormation has no resource type for
them, so `infra_apply` (with real credentials) and the devstack (with placeholders) create them here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aws.clients import sns_client


@dataclass(frozen=True)
class PushApplication:
    key: str  # part of the application's name: lambridge-<stage>-<key>
    platform: str  # SNS's platform name
    setting: str  # the environment variable the function reads its ARN from


PUSH_APPLICATIONS: Final = (
    PushApplication("apns", "APNS", "SNS_APNS_APPLICATION_ARN"),
    PushApplication("apns-sandbox", "APNS_SANDBOX", "SNS_APNS_SANDBOX_APPLICATION_ARN"),
    PushApplication("fcm", "GCM", "SNS_FCM_APPLICATION_ARN"),
)

# Where infra_apply reads the credentials: files and ids from the operator's shell, never the repo.
APNS_CREDENTIAL_VARIABLES: Final = ("APNS_SIGNING_KEY_FILE", "APNS_SIGNING_KEY_ID", "APNS_TEAM_ID", "APNS_BUNDLE_ID")
FCM_CREDENTIAL_VARIABLE: Final = "FCM_SERVICE_ACCOUNT_FILE"


def application_name(*, stage: str, application: PushApplication) -> str:
    """e.g. lambridge-dev-apns: the function's IAM policy allows publishing to endpoints of lambridge-<stage>-*."""
    return f"lambridge-{stage}-{application.key}"


def credentials_from_environment(application: PushApplication, environ: Any = os.environ) -> dict[str, str] | None:
    """The platform application's attributes from the environment, or None when they are not all given.

    APNs uses token-based auth (a .p8 signing key, its key id, the team id and the bundle id);
    FCM uses the HTTP v1 API with a service-account JSON file.
    """
    if application.platform.startswith("APNS"):
        key_file, key_id, team_id, bundle_id = (environ.get(name, "") for name in APNS_CREDENTIAL_VARIABLES)
        if not (key_file and key_id and team_id and bundle_id):
            return None
        return {
            "PlatformCredential": Path(key_file).read_text(encoding="utf-8"),
            "PlatformPrincipal": key_id,
            "ApplePlatformTeamID": team_id,
            "ApplePlatformBundleID": bundle_id,
        }
    service_account = environ.get(FCM_CREDENTIAL_VARIABLE, "")
    if not service_account:
        return None
    return {"PlatformCredential": Path(service_account).read_text(encoding="utf-8")}


def push_application_apply(*, name: str, platform: str, attributes: dict[str, str]) -> str:
    """The ARN of the platform application `name`: created when missing, its credentials set otherwise."""
    sns = sns_client()
    for page in sns.get_paginator("list_platform_applications").paginate():
        for found in page["PlatformApplications"]:
            arn: str = found["PlatformApplicationArn"]
            if arn.endswith(f":app/{platform}/{name}"):
                sns.set_platform_application_attributes(PlatformApplicationArn=arn, Attributes=attributes)
                return arn
    created: str = sns.create_platform_application(Name=name, Platform=platform, Attributes=attributes)[
        "PlatformApplicationArn"
    ]
    return created
