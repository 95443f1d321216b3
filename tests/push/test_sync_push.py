"""Silent sync pushes: a note change reaches the owner's OTHER devices once, after the commit, as
moto's SNS records it (read over its HTTP API)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings as SettingsWrapper

from aws.clients import reset_clients, sns_client
from legacy.models import LegacyNote
from notes.events import mirror_reconcile_event
from push.models import Device
from push.platforms import SYNC_PUSH_TYPE
from push.services import push_drain
from tests.factories import legacy_connection, site_note
from tests.members import Member, fcm_token
from tests.push.conftest import SnsRecord

# The after-commit sends really run: no test transaction around the requests.
pytestmark = pytest.mark.django_db(transaction=True)


def _endpoint(device: dict[str, Any]) -> str:
    return Device.objects.get(device_id=device["deviceId"]).endpoint_arn


def _write_note(member: Member, *, device: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    headers = {"HTTP_X_DEVICE_ID": device["deviceId"]} if device else {}
    body = {"headline": "Groceries", "text": "milk"} | fields
    response = member.client.post("/api/v1/notes/", body, format="json", **headers)
    assert response.status_code == 201, response.content
    return dict(response.json())


def _is_sync_push(message: dict[str, Any]) -> bool:
    apns = json.loads(message["APNS"])
    return (
        apns["aps"] == {"content-available": 1}
        and json.loads(message["APNS_SANDBOX"]) == apns
        and json.loads(message["GCM"]) == {"data": {"type": SYNC_PUSH_TYPE}}
    )


def test_a_note_written_on_device_a_pushes_once_to_device_b_and_nobody_else(
    alice: Member, bob: Member, sns_record: SnsRecord
) -> None:
    phone = alice.device(platform="ios")
    tablet = alice.device(platform="android", token=fcm_token())
    bobs_phone = bob.device(platform="ios")

    _write_note(alice, device=phone)

    (message,) = sns_record.messages(_endpoint(tablet))
    assert _is_sync_push(message)
    assert sns_record.messages(_endpoint(phone)) == []
    assert sns_record.messages(_endpoint(bobs_phone)) == []


def test_updates_and_deletes_push_too_and_a_second_change_within_30s_waits_for_the_drain(
    alice: Member, sns_record: SnsRecord
) -> None:
    phone = alice.device()
    tablet = alice.device()
    note = _write_note(alice, device=phone)
    assert len(sns_record.messages(_endpoint(tablet))) == 1

    response = alice.client.patch(
        f"/api/v1/notes/{note['noteId']}", {"text": "milk, eggs"}, format="json", HTTP_X_DEVICE_ID=phone["deviceId"]
    )
    assert response.status_code == 200

    # Within 30 s of the first push: nothing more now, but the tablet is still owed one.
    assert len(sns_record.messages(_endpoint(tablet))) == 1
    waiting = Device.objects.get(device_id=tablet["deviceId"])
    assert waiting.sync_pending_since is not None
    assert push_drain().sync.waiting == 1
    assert len(sns_record.messages(_endpoint(tablet))) == 1

    # 30 s later (the clock moved for this device), the scheduled drain sends it.
    Device.objects.filter(pk=waiting.pk).update(last_sync_push_at=timezone.now() - timedelta(seconds=31))
    assert push_drain().sync.sent == 1
    assert len(sns_record.messages(_endpoint(tablet))) == 2
    assert sns_record.messages(_endpoint(phone)) == []

    Device.objects.filter(pk=waiting.pk).update(last_sync_push_at=timezone.now() - timedelta(seconds=31))
    deleted = alice.client.delete(f"/api/v1/notes/{note['noteId']}", HTTP_X_DEVICE_ID=phone["deviceId"])
    assert deleted.status_code == 204
    assert len(sns_record.messages(_endpoint(tablet))) == 3
    assert sns_record.messages(_endpoint(phone)) == []


def test_without_x_device_id_or_with_a_garbage_one_every_device_of_the_owner_gets_one(
    alice: Member, sns_record: SnsRecord
) -> None:
    phone, tablet = alice.device(), alice.device()

    response = alice.client.post(
        "/api/v1/notes/", {"headline": "h", "text": "t"}, format="json", HTTP_X_DEVICE_ID="not a device id"
    )

    assert response.status_code == 201
    assert len(sns_record.messages(_endpoint(phone))) == 1
    assert len(sns_record.messages(_endpoint(tablet))) == 1


def test_a_change_staff_make_in_the_admin_pushes_to_the_owners_devices(
    alice: Member, staff_client: Client, sns_record: SnsRecord
) -> None:
    phone = alice.device()
    note_id = site_note(alice.user_id, headline="Before")
    note = LegacyNote.objects.get(pk=note_id)

    response = staff_client.post(
        f"/admin/legacy/legacynote/{note_id}/change/",
        {
            "user": alice.user_id,
            "headline": "Edited by staff",
            "body": note.body,
            "visibility": note.visibility,
            "tags": "",
            "photo_path": "",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    assert LegacyNote.objects.get(pk=note_id).headline == "Edited by staff"
    (message,) = sns_record.messages(_endpoint(phone))
    assert _is_sync_push(message)


def test_a_change_the_php_site_makes_is_pushed_once_the_reconciler_finds_it(
    alice: Member, sns_record: SnsRecord
) -> None:
    phone = alice.device()
    note_id = site_note(alice.user_id)
    mirror_reconcile_event({})  # the first run is a backfill: no pushes for it
    assert sns_record.messages(_endpoint(phone)) == []

    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET body = 'changed on the site', updated_at = NOW() + INTERVAL 5 SECOND WHERE note_id = %s",
            [note_id],
        )
    mirror_reconcile_event({})

    (message,) = sns_record.messages(_endpoint(phone))
    assert _is_sync_push(message)


def test_a_device_sns_reports_disabled_is_disabled_and_not_pushed_again(alice: Member, sns_record: SnsRecord) -> None:
    phone, tablet = alice.device(), alice.device()
    sns_client().set_endpoint_attributes(EndpointArn=_endpoint(tablet), Attributes={"Enabled": "false"})

    _write_note(alice, device=phone)

    assert Device.objects.get(device_id=tablet["deviceId"]).enabled is False
    assert sns_record.messages(_endpoint(tablet)) == []
    _write_note(alice, device=phone)
    assert Device.objects.get(device_id=tablet["deviceId"]).sync_pending_since is None


def test_a_push_that_fails_while_sns_is_down_is_sent_by_the_drain_later(
    alice: Member, sns_record: SnsRecord, settings: SettingsWrapper
) -> None:
    phone, tablet = alice.device(), alice.device()
    endpoint_url = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens there
    reset_clients()

    _write_note(alice, device=phone)  # the write itself succeeds

    waiting = Device.objects.get(device_id=tablet["deviceId"])
    assert waiting.sync_pending_since is not None
    assert waiting.sync_attempts == 1
    settings.AWS_ENDPOINT_URL = endpoint_url
    reset_clients()
    Device.objects.filter(pk=waiting.pk).update(sync_next_attempt_at=timezone.now())  # the backoff is over
    assert push_drain().sync.sent == 1
    (message,) = sns_record.messages(_endpoint(tablet))
    assert _is_sync_push(message)
    assert sns_record.messages(_endpoint(phone)) == []
