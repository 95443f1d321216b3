"""Staff broadcasts from the admin: a draft with its payload previewed, then sent to the devices of
chosen site users (endpoint publishes, as moto records them) or to every device (the topic, read
through an SQS queue subscribed to it)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from aws.clients import get_client, sns_client
from push.models import Broadcast, Device, Platform
from push.platforms import BROADCAST_PUSH_TYPE
from push.services import broadcast_send, broadcast_start, push_drain, token_digest
from tests.factories import site_user
from tests.members import Member, apns_token
from tests.push.conftest import SnsRecord

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/push/broadcast/"


def _draft(staff_client: Client, **fields: str) -> Broadcast:
    form = {
        "title": "New feature",
        "body": "Photos in notes!",
        "deep_link": "lambridge://whats-new",
        "audience": "users",
    }
    response = staff_client.post(f"{CHANGELIST}add/", form | fields)
    assert response.status_code == 302, response.content[:3000]
    return Broadcast.objects.get(title=(form | fields)["title"])


def _send(staff_client: Client, broadcast: Broadcast) -> Broadcast:
    response = staff_client.post(CHANGELIST, {"action": "send_broadcasts", "_selected_action": [broadcast.pk]})
    assert response.status_code == 302
    return Broadcast.objects.get(pk=broadcast.pk)


def _endpoint(device: dict[str, str]) -> str:
    return Device.objects.get(device_id=device["deviceId"]).endpoint_arn


def test_a_draft_shows_each_platforms_payload_and_sends_nothing_until_sent(
    alice: Member, bob: Member, staff_client: Client, sns_record: SnsRecord
) -> None:
    phone, tablet = alice.device(platform="ios"), alice.device(platform="ios_sandbox")
    bobs = bob.device()

    draft = _draft(staff_client, site_users=str(alice.user_id))

    assert draft.status == Broadcast.Status.DRAFT
    page = staff_client.get(f"{CHANGELIST}{draft.pk}/change/").content.decode()
    for key in ("APNS", "APNS_SANDBOX", "GCM"):
        assert f"<th>{key}</th>" in page
    assert "&quot;title&quot;: &quot;New feature&quot;" in page
    assert "&quot;deepLink&quot;: &quot;lambridge://whats-new&quot;" in page
    assert sns_record.messages(_endpoint(phone)) == []

    sent = _send(staff_client, draft)

    staff = User.objects.get(username="staff")
    assert (sent.status, sent.endpoints_total, sent.endpoints_reached, sent.failures) == ("done", 2, 2, 0)
    assert (sent.created_by, sent.sent_by) == (staff, staff)
    assert sent.started_at is not None
    assert sent.finished_at is not None
    for device in (phone, tablet):
        (message,) = sns_record.messages(_endpoint(device))
        apns = json.loads(message["APNS"])
        assert apns["aps"]["alert"] == {"title": "New feature", "body": "Photos in notes!"}
        assert apns["deepLink"] == "lambridge://whats-new"
        gcm = json.loads(message["GCM"])
        assert gcm["notification"] == {"title": "New feature", "body": "Photos in notes!"}
        assert gcm["data"] == {"type": BROADCAST_PUSH_TYPE, "deepLink": "lambridge://whats-new"}
    assert sns_record.messages(_endpoint(bobs)) == []
    # Sending again does nothing: the record is sent.
    assert _send(staff_client, sent).endpoints_reached == 2
    assert len(sns_record.messages(_endpoint(phone))) == 1


def test_a_broadcast_to_every_device_goes_through_the_topic(alice: Member, staff_client: Client) -> None:
    alice.device()
    sqs = get_client("sqs")
    queue_url = sqs.create_queue(QueueName=f"broadcast-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns_client().subscribe(TopicArn=settings.SNS_BROADCAST_TOPIC_ARN, Protocol="sqs", Endpoint=queue_arn)
    try:
        draft = _draft(staff_client, title="For everyone", body="Maintenance tonight", deep_link="", audience="all")
        sent = _send(staff_client, draft)

        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
    finally:
        sns_client().unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    (envelope,) = [json.loads(message["Body"]) for message in messages]
    assert envelope["TopicArn"] == settings.SNS_BROADCAST_TOPIC_ARN
    assert envelope["MessageId"] == sent.topic_message_id
    assert envelope["Message"] == "Maintenance tonight"  # the "default" entry, for non-mobile subscribers
    assert sent.status == Broadcast.Status.DONE
    assert sent.endpoints_reached == sent.endpoints_total >= 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"site_users": ""}, "Name at least one site user"),
        ({"site_users": "999999999"}, "No site user with id 999999999"),
        ({"site_users": "12, abc"}, "is not a user id"),
        ({"deep_link": "not a link"}, "A link with a scheme"),
    ],
)
def test_a_broadcast_form_with_mistakes_is_shown_again_and_nothing_is_made(
    staff_client: Client, fields: dict[str, str], error: str
) -> None:
    form = {"title": "t", "body": "b", "deep_link": "", "audience": "users", "site_users": "1"} | fields

    response = staff_client.post(f"{CHANGELIST}add/", form)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Broadcast.objects.exists()


def test_a_device_sns_disabled_counts_as_a_failure_and_is_disabled(
    alice: Member, staff_client: Client, sns_record: SnsRecord
) -> None:
    phone, old_phone = alice.device(), alice.device()
    sns_client().set_endpoint_attributes(EndpointArn=_endpoint(old_phone), Attributes={"Enabled": "false"})

    sent = _send(staff_client, _draft(staff_client, site_users=str(alice.user_id)))

    assert (sent.endpoints_reached, sent.failures, sent.endpoints_disabled) == (1, 1, 1)
    assert Device.objects.get(device_id=old_phone["deviceId"]).enabled is False
    assert len(sns_record.messages(_endpoint(phone))) == 1


def test_a_send_cut_short_keeps_its_progress_and_the_drain_finishes_it(
    alice: Member, staff_client: Client, sns_record: SnsRecord
) -> None:
    phone = alice.device()
    draft = _draft(staff_client, site_users=str(alice.user_id))
    assert broadcast_start(broadcast_id=draft.pk)

    cut = broadcast_send(broadcast_id=draft.pk, time_budget_seconds=0)

    assert (cut.status, cut.endpoints_reached) == (Broadcast.Status.SENDING, 0)
    assert push_drain().broadcasts_sent == 1
    done = Broadcast.objects.get(pk=draft.pk)
    assert (done.status, done.endpoints_reached) == (Broadcast.Status.DONE, 1)
    assert len(sns_record.messages(_endpoint(phone))) == 1


DEVICES = 5000
USERS = DEVICES // 20


@pytest.mark.slow  # bench-style: 5000 devices registered in moto, then one broadcast to all of them
def test_a_broadcast_to_5000_registered_devices_completes_from_the_admin(
    staff_client: Client, sns_record: SnsRecord
) -> None:
    user_ids = [site_user() for _ in range(USERS)]
    tokens = [apns_token() for _ in range(DEVICES)]
    sns = sns_client()

    def endpoint(token: str) -> str:
        # moto's CreatePlatformEndpoint sometimes answers 500 when called concurrently (it walks its
        # endpoints while another call adds one): the set-up retries, so it can run side by side.
        for _ in range(20):
            try:
                arn: str = sns.create_platform_endpoint(
                    PlatformApplicationArn=settings.SNS_APNS_APPLICATION_ARN, Token=token
                )["EndpointArn"]
            except (ResponseParserError, ClientError):
                continue
            return arn
        raise AssertionError("moto kept failing to create an endpoint")

    with ThreadPoolExecutor(max_workers=8) as pool:
        arns = list(pool.map(endpoint, tokens))
    now = timezone.now()
    Device.objects.bulk_create(
        Device(
            site_user_id=user_ids[index % USERS],
            platform=Platform.IOS,
            token=token,
            token_digest=token_digest(platform=Platform.IOS, token=token),
            endpoint_arn=arn,
            last_seen_at=now - timedelta(seconds=index),
        )
        for index, (token, arn) in enumerate(zip(tokens, arns, strict=True))
    )
    draft = _draft(staff_client, title=f"To {DEVICES}", site_users=" ".join(map(str, user_ids)))

    sent = _send(staff_client, draft)

    # The admin answers within API Gateway's time limit; a send it could not finish in that time
    # shows its saved progress, and the scheduled drain finishes it.
    assert sent.status in {Broadcast.Status.DONE, Broadcast.Status.SENDING}
    assert sent.endpoints_reached > 0
    for _ in range(10):
        if sent.status == Broadcast.Status.DONE:
            break
        page = staff_client.get(f"{CHANGELIST}{sent.pk}/change/").content.decode()
        assert "Sending" in page
        push_drain()
        sent = Broadcast.objects.get(pk=sent.pk)
    assert (sent.status, sent.endpoints_total, sent.endpoints_reached, sent.failures) == ("done", DEVICES, DEVICES, 0)
    endpoints = sns_record.endpoints()
    assert all(len(endpoints[arn]["messages"]) == 1 for arn in arns)


def test_the_device_admin_lists_devices_but_never_their_tokens(alice: Member, staff_client: Client) -> None:
    token = apns_token()
    device = alice.device(token=token)
    pk = Device.objects.get(device_id=device["deviceId"]).pk

    listing = staff_client.get("/admin/push/device/").content.decode()
    page = staff_client.get(f"/admin/push/device/{pk}/change/").content.decode()

    assert device["deviceId"] in listing
    assert device["deviceId"] in page
    assert token not in listing
    assert token not in page
    assert staff_client.post(f"/admin/push/device/{pk}/delete/", {"post": "yes"}).status_code == 403
