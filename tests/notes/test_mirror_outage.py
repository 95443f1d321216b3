"""The AWS emulator stopped while notes are written: every write succeeds; after it restarts,
`mirror_drain --now` converges — every change made during the outage there once, nothing lost."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from pytest_django import Settings as SettingsWrapper

from aws.clients import dynamodb_client, reset_clients
from devstack.aws_resources import DevstackResources, ensure_notes_table
from devstack.moto_server import MotoServer
from notes.models import MirrorEntry, MobileNote
from tests.members import Member

# slow: fault injection; transactional: the after-commit sends really run.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_writes_during_an_outage_all_arrive_after_it(
    aws_stack: DevstackResources, settings: SettingsWrapper, alice: Member
) -> None:
    table = f"Notes-{uuid.uuid4().hex[:12]}"
    with MotoServer() as own_emulator:  # Cognito stays on the session's emulator: sign-in keeps working
        settings.AWS_ENDPOINT_URL = own_emulator.endpoint_url
        settings.NOTES_TABLE = table
        reset_clients()
        ensure_notes_table(table)
        alice.client.get("/api/v1/me")  # linked before the outage

        own_emulator.stop()
        during = [alice.create(headline=f"During the outage {n}") for n in range(5)]
        edited = alice.client.patch(f"/api/v1/notes/{during[0]['noteId']}", {"headline": "Edited"}, format="json")
        deleted = alice.client.delete(f"/api/v1/notes/{during[1]['noteId']}")
        assert edited.status_code == 200
        assert deleted.status_code == 204
        assert MirrorEntry.objects.filter(attempts__gt=0).exists()

        own_emulator.start()
        reset_clients()
        ensure_notes_table(table)  # moto keeps nothing across a restart: the table is new and empty
        out = StringIO()
        call_command("mirror_drain", "--now", stdout=out)

        items = dynamodb_client().scan(TableName=table, ConsistentRead=True)["Items"]
    live = MobileNote.objects.filter(legacy_note__deleted=False).values_list("uuid", flat=True)
    assert "failed (will retry): 0" in out.getvalue()
    assert sorted(item["noteId"]["S"] for item in items) == sorted(str(note_id) for note_id in live)
    assert len(items) == 5 - 1
    assert {item["headline"]["S"] for item in items} == {"Edited"} | {f"During the outage {n}" for n in (2, 3, 4)}
    assert not MirrorEntry.objects.filter(generation__gt=F("sent_generation")).exists()
