"""What differs per push platform: token formats, the SNS platform application, the payloads."""

from __future__ import annotations

import json
import re
from typing import Final

from django.conf import settings

from push.models import Platform

# APNs device tokens are 32 bytes written as 64 hex digits today; Apple says they may grow, so
# longer hex is taken too (up to 200 digits, SNS's own limit for APNs tokens).
_APNS_TOKEN: Final = re.compile(r"[0-9a-fA-F]{64,200}")
# FCM registration tokens: base64url characters with a colon after the instance id, ~150-200
# characters today; 4096 is SNS's limit.
_FCM_TOKEN: Final = re.compile(r"[A-Za-z0-9_\-:.]{100,4096}")
FCM_TOKEN_MIN_LENGTH: Final = 100

APNS_PLATFORMS: Final = frozenset({Platform.IOS, Platform.IOS_SANDBOX})
# The key of each platform's payload in a MessageStructure=json message.
MESSAGE_KEYS: Final = {Platform.IOS: "APNS", Platform.IOS_SANDBOX: "APNS_SANDBOX", Platform.ANDROID: "GCM"}

SYNC_PUSH_TYPE: Final = "notes_changed"
BROADCAST_PUSH_TYPE: Final = "broadcast"

# Apple drops background pushes that do not say they are one (iOS 13+); priority 5 is required
# for them. SNS passes these to APNs as the apns-push-type and apns-priority headers.
APNS_BACKGROUND_ATTRIBUTES: Final = {
    "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "background"},
    "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "5"},
}


class InvalidToken(ValueError):
    """The token is not one the platform issues; the message says what was expected."""


def token_clean(*, platform: str, token: str) -> str:
    """``token`` as stored (APNs hex in lower case), or InvalidToken with what the platform expects."""
    token = token.strip()
    if platform in APNS_PLATFORMS:
        if not _APNS_TOKEN.fullmatch(token):
            raise InvalidToken("An APNs device token is 64 hexadecimal characters (up to 200).")
        return token.lower()
    if not _FCM_TOKEN.fullmatch(token):
        raise InvalidToken(
            f"An FCM registration token is {FCM_TOKEN_MIN_LENGTH} to 4096 characters of letters, digits, "
            "'-', '_', ':' and '.'."
        )
    return token


def application_arn(platform: str) -> str:
    """The SNS platform application of ``platform`` (empty when that platform is not set up)."""
    arns = {
        Platform.IOS: settings.SNS_APNS_APPLICATION_ARN,
        Platform.IOS_SANDBOX: settings.SNS_APNS_SANDBOX_APPLICATION_ARN,
        Platform.ANDROID: settings.SNS_FCM_APPLICATION_ARN,
    }
    return str(arns[Platform(platform)])


def sync_message() -> dict[str, str]:
    """The silent "your notes changed" push, one payload per platform (MessageStructure=json)."""
    apns = json.dumps({"aps": {"content-available": 1}, "type": SYNC_PUSH_TYPE})
    gcm = json.dumps({"data": {"type": SYNC_PUSH_TYPE}})
    return {"default": SYNC_PUSH_TYPE, "APNS": apns, "APNS_SANDBOX": apns, "GCM": gcm}


def broadcast_message(*, title: str, body: str, deep_link: str = "") -> dict[str, str]:
    """A visible notification (title, body, optional deep link), one payload per platform."""
    link = {"deepLink": deep_link} if deep_link else {}
    apns = json.dumps({"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, **link})
    gcm = json.dumps({"notification": {"title": title, "body": body}, "data": {"type": BROADCAST_PUSH_TYPE, **link}})
    return {"default": body, "APNS": apns, "APNS_SANDBOX": apns, "GCM": gcm}
