"""POST /api/v1/devices and DELETE /api/v1/devices/{deviceId} against moto's SNS over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from api.error_codes import NOT_FOUND, VALIDATION_ERROR
from aws.clients import sns_client
from push.models import Device
from push.services import DEVICES_PER_USER_MAX
from tests.members import Member, apns_token, fcm_token
from tests.push.conftest import endpoint_attributes, endpoints_with_token

pytestmark = pytest.mark.django_db


def test_registering_creates_an_enabled_endpoint_with_the_site_user_in_its_user_data(alice: Member) -> None:
    token = apns_token()

    response = alice.register(platform="ios", token=token, locale="fr-FR", appVersion="3.2.1")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"deviceId", "platform", "createdAt"}
    assert body["platform"] == "ios"
    (arn,) = endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, token)
    attributes = endpoint_attributes(arn)
    assert attributes["Enabled"] == "true"
    assert json.loads(attributes["CustomUserData"]) == {"siteUserId": alice.user_id}
    device = Device.objects.get(device_id=body["deviceId"])
    assert (device.endpoint_arn, device.locale, device.app_version) == (arn, "fr-FR", "3.2.1")


def test_the_same_token_twice_is_one_device_and_one_endpoint(alice: Member) -> None:
    token = fcm_token()
    first = alice.register(platform="android", token=token)
    second = alice.register(platform="android", token=token, appVersion="2.0")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["deviceId"] == first.json()["deviceId"]
    assert len(endpoints_with_token(settings.SNS_FCM_APPLICATION_ARN, token)) == 1
    assert Device.objects.filter(site_user_id=alice.user_id).count() == 1


def test_registering_again_re_enables_an_endpoint_sns_disabled(alice: Member) -> None:
    token = apns_token()
    device_id = alice.device(token=token)["deviceId"]
    arn = Device.objects.get(device_id=device_id).endpoint_arn
    # What SNS does when APNs reports the token unregistered.
    sns_client().set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    again = alice.register(token=token)

    assert again.status_code == 200
    assert again.json()["deviceId"] == device_id
    assert endpoint_attributes(arn)["Enabled"] == "true"


def test_an_endpoint_sns_already_has_with_other_attributes_is_taken_over(alice: Member) -> None:
    token = apns_token()
    # An endpoint for this token made elsewhere (an old install, another tool), disabled.
    existing = sns_client().create_platform_endpoint(
        PlatformApplicationArn=settings.SNS_APNS_APPLICATION_ARN,
        Token=token,
        CustomUserData="someone else",
        Attributes={"Enabled": "false"},
    )["EndpointArn"]

    response = alice.register(token=token)

    assert response.status_code == 201
    assert Device.objects.get(device_id=response.json()["deviceId"]).endpoint_arn == existing
    attributes = endpoint_attributes(existing)
    assert attributes["Enabled"] == "true"
    assert json.loads(attributes["CustomUserData"]) == {"siteUserId": alice.user_id}


def test_a_token_registered_by_another_user_moves_to_them(alice: Member, bob: Member) -> None:
    token = apns_token()
    alices = alice.device(token=token)["deviceId"]

    response = bob.register(token=token)

    assert response.status_code == 201
    bobs = response.json()["deviceId"]
    assert bobs != alices
    assert not Device.objects.filter(site_user_id=alice.user_id).exists()
    device = Device.objects.get(site_user_id=bob.user_id)
    assert str(device.device_id) == bobs
    assert json.loads(endpoint_attributes(device.endpoint_arn)["CustomUserData"]) == {"siteUserId": bob.user_id}
    assert len(endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, token)) == 1
    # Alice's app can no longer unregister the phone that is now Bob's.
    assert alice.client.delete(f"/api/v1/devices/{alices}").status_code == 404


@pytest.mark.parametrize(
    ("platform", "token"),
    [
        ("ios", "abc123"),  # too short
        ("ios", "z" * 64),  # not hex
        ("ios", "a" * 201),  # longer than APNs tokens go
        ("ios_sandbox", "<" + "a" * 63),
        ("android", "short:token"),
        ("android", "a" * 90 + " " + "b" * 60),  # a space is not in FCM's alphabet
    ],
)
def test_a_token_the_platform_would_not_issue_is_a_400_and_creates_nothing(
    alice: Member, platform: str, token: str
) -> None:
    response = alice.register(platform=platform, token=token)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == VALIDATION_ERROR
    assert "token" in error["fields"]
    assert token not in json.dumps(error)
    assert not Device.objects.filter(site_user_id=alice.user_id).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "windows", "token": "a" * 64},
        {"platform": "ios"},
        {"platform": "ios", "token": 12345},
        {"token": "a" * 64},
        {"platform": "ios", "token": "a" * 64, "appVersion": "x" * 65},
    ],
)
def test_a_malformed_body_is_a_400(alice: Member, body: dict[str, object]) -> None:
    response = alice.client.post("/api/v1/devices", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == VALIDATION_ERROR


def test_the_routes_answer_with_and_without_a_trailing_slash(alice: Member) -> None:
    response = alice.client.post("/api/v1/devices/", {"platform": "ios", "token": apns_token()}, format="json")
    assert response.status_code == 201
    device_id = response.json()["deviceId"]

    assert alice.client.delete(f"/api/v1/devices/{device_id}/").status_code == 204


def test_registering_needs_a_signed_in_caller(aws_stack: object) -> None:
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/devices", {"platform": "ios", "token": apns_token()}, format="json")

    assert response.status_code == 401


def test_unregistering_deletes_the_endpoint_and_the_device(alice: Member) -> None:
    token = apns_token()
    device_id = alice.device(token=token)["deviceId"]

    response = alice.client.delete(f"/api/v1/devices/{device_id}")

    assert response.status_code == 204
    assert endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, token) == []
    assert not Device.objects.filter(device_id=device_id).exists()
    assert alice.client.delete(f"/api/v1/devices/{device_id}").status_code == 404


@pytest.mark.parametrize("device_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unregistering_an_unknown_device_is_a_404(alice: Member, device_id: str) -> None:
    response = alice.client.delete(f"/api/v1/devices/{device_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == NOT_FOUND


def test_another_users_device_is_a_404_and_stays_registered(alice: Member, bob: Member) -> None:
    token = apns_token()
    device_id = alice.device(token=token)["deviceId"]

    response = bob.client.delete(f"/api/v1/devices/{device_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == NOT_FOUND
    assert Device.objects.filter(device_id=device_id).exists()
    assert len(endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, token)) == 1


def test_a_user_keeps_at_most_twenty_devices_the_least_recently_seen_go(alice: Member) -> None:
    tokens = [apns_token() for _ in range(DEVICES_PER_USER_MAX)]
    for token in tokens:
        alice.device(token=token)
    # The first one registered is the one seen longest ago.
    oldest = Device.objects.get(token=tokens[0])
    Device.objects.filter(pk=oldest.pk).update(last_seen_at=timezone.now() - timedelta(days=30))

    newest = alice.device(platform="android", token=fcm_token())

    remaining = set(Device.objects.filter(site_user_id=alice.user_id).values_list("device_id", flat=True))
    assert len(remaining) == DEVICES_PER_USER_MAX
    assert oldest.device_id not in remaining
    assert newest["deviceId"] in {str(device_id) for device_id in remaining}
    assert endpoints_with_token(settings.SNS_APNS_APPLICATION_ARN, tokens[0]) == []


def test_a_registered_endpoint_is_subscribed_to_the_broadcast_topic(alice: Member) -> None:
    device_id = alice.device()["deviceId"]
    device = Device.objects.get(device_id=device_id)

    subscriptions = sns_client().list_subscriptions_by_topic(TopicArn=settings.SNS_BROADCAST_TOPIC_ARN)["Subscriptions"]

    assert {"Protocol": "application", "Endpoint": device.endpoint_arn, "SubscriptionArn": device.subscription_arn} in [
        {key: subscription[key] for key in ("Protocol", "Endpoint", "SubscriptionArn")}
        for subscription in subscriptions
    ]


def test_registering_while_sns_is_down_is_a_503_with_retry_after(
    alice: Member, settings: object, make_member: Callable[..., Member]
) -> None:
    from aws.clients import reset_clients

    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # type: ignore[attr-defined] # nothing listens there
    reset_clients()

    response = alice.register()

    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Device.objects.filter(site_user_id=alice.user_id).exists()


def test_the_openapi_document_has_the_device_routes_and_x_device_id_on_note_writes() -> None:
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/").json()

    operations = {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {"device_register", "device_unregister"} <= set(operations)
    for operation_id in ("note_create", "note_update", "note_replace", "note_delete", "reference_note_create"):
        headers = [parameter["name"] for parameter in operations[operation_id].get("parameters", [])]
        assert "X-Device-Id" in headers, operation_id
