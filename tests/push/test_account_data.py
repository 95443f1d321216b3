"""What the account issue calls: deleting every device of a user (endpoints too), and exporting them."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from push.models import Device
from push.selectors import devices_export_for_user
from push.services import devices_delete_for_user
from tests.members import Member, apns_token, fcm_token
from tests.push.conftest import endpoints_with_token

pytestmark = pytest.mark.django_db


def test_deleting_a_users_devices_deletes_their_endpoints_and_is_idempotent(alice: Member, bob: Member) -> None:
    tokens = [apns_token(), apns_token()]
    for token in tokens:
        alice.device(token=token)
    bobs = bob.device()

    assert devices_delete_for_user(site_user_id=alice.user_id) == 2

    assert not Device.objects.filter(site_user_id=alice.user_id).exists()
    for token in tokens:
        assert endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, token) == []
    assert Device.objects.filter(device_id=bobs["deviceId"]).exists()
    assert devices_delete_for_user(site_user_id=alice.user_id) == 0


def test_the_export_lists_devices_without_their_tokens(alice: Member) -> None:
    token = fcm_token()
    device = alice.device(platform="android", token=token, locale="de-DE", appVersion="4.1")

    exported = devices_export_for_user(site_user_id=alice.user_id)

    (entry,) = exported
    assert entry["deviceId"] == device["deviceId"]
    assert (entry["platform"], entry["locale"], entry["appVersion"], entry["enabled"]) == (
        "android",
        "de-DE",
        "4.1",
        True,
    )
    assert entry["createdAt"]
    assert entry["lastSeenAt"]
    text = json.dumps(exported)
    assert token not in text
    assert "arn:" not in text
