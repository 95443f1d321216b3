"""The mirror to DynamoDB (SPEC §5) against the moto server over HTTP: every change reaches the
table, whoever made it; an outage loses nothing; an older state never overwrites a newer one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from aws.clients import dynamodb_client
from devstack.aws_resources import DevstackResources
from notes.mirror import mirror_send
from notes.models import MirrorEntry, MobileNote
from notes.reconcile import mirror_reconcile
from tests.factories import legacy_connection, site_note
from tests.members import Member
from tests.notes.helpers import table_item

pytestmark = pytest.mark.django_db


def expected_item(note: dict[str, Any]) -> dict[str, Any]:
    """What SPEC §5 says the table holds for a note the API shows."""
    item: dict[str, Any] = {
        "noteId": {"S": note["noteId"]},
        "userId": {"N": str(note["owner"]["userId"])},
        "headline": {"S": note["headline"]},
        "text": {"S": note["text"]},
        "visibility": {"S": note["visibility"]},
        "tags": {"L": [{"S": tag} for tag in note["tags"]]},
        "updatedAt": {"S": note["updatedAt"]},
        "version": {"N": str(note["version"])},
    }
    if note["photoKey"]:
        item["photoKey"] = {"S": note["photoKey"]}
    return item


def without_url(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return {name: value for name, value in item.items() if name != "s3Url"} if item else item


def test_api_writes_reach_the_table_after_commit(
    aws_stack: DevstackResources, alice: Member, committed: Callable[[], Any]
) -> None:
    with committed():
        note = alice.create(headline="Mirrored", tags=["b", "a"], visibility="public")
    assert table_item(aws_stack, note["noteId"]) == expected_item(note)

    with committed():
        edited = alice.client.patch(f"/api/v1/notes/{note['noteId']}", {"tags": ["c"]}, format="json").json()
    assert table_item(aws_stack, note["noteId"]) == expected_item(edited)

    with committed():
        alice.client.delete(f"/api/v1/notes/{note['noteId']}")
    assert table_item(aws_stack, note["noteId"]) is None
    assert not MirrorEntry.objects.filter(generation__gt=0, sent_generation=0).exists()


def test_one_api_write_is_one_send(aws_stack: DevstackResources, alice: Member, committed: Callable[[], Any]) -> None:
    with committed() as callbacks:
        alice.create(tags=["a", "b", "c"])

    # One publish of the change after the commit: the mirror's send and the owner's silent pushes.
    assert len(callbacks) == 1


def test_with_aws_down_writes_succeed_and_the_drain_converges_afterwards(
    aws_stack: DevstackResources,
    alice: Member,
    aws_down: Callable[[], None],
    committed: Callable[[], Any],
) -> None:
    with committed():
        created = [alice.create(headline=f"During the outage {n}") for n in range(3)]
    with committed():
        alice.client.delete(f"/api/v1/notes/{created[0]['noteId']}")
        edited = alice.client.patch(f"/api/v1/notes/{created[1]['noteId']}", {"headline": "Edited"}, format="json")
    assert edited.status_code == 200

    pending = MirrorEntry.objects.filter(
        legacy_note_id__in=MobileNote.objects.filter(uuid__in=[note["noteId"] for note in created]).values(
            "legacy_note_id"
        )
    )
    assert all(entry.generation > entry.sent_generation for entry in pending)
    assert any(entry.attempts == 1 and entry.last_error for entry in pending)

    aws_down()
    pending.update(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))  # due now, rather than after the backoff
    out = StringIO()
    call_command("mirror_drain", stdout=out)

    assert "failed (will retry): 0" in out.getvalue()
    assert table_item(aws_stack, created[0]["noteId"]) is None
    assert table_item(aws_stack, created[1]["noteId"]) == expected_item(edited.json())
    assert table_item(aws_stack, created[2]["noteId"]) == expected_item(created[2])
    assert mirror_send().sent == 0  # nothing left, nothing sent twice


def test_an_older_state_never_overwrites_a_newer_item(aws_stack: DevstackResources, alice: Member) -> None:
    note = alice.create(headline="Version 1")
    mirror_send(note_ids=[MobileNote.objects.get(uuid=note["noteId"]).legacy_note_id])
    newer = dict(expected_item(note), headline={"S": "Version 5 from elsewhere"}, version={"N": "5"})
    dynamodb_client().put_item(TableName=aws_stack.notes_table, Item=newer)
    entry = MirrorEntry.objects.get(legacy_note_id=MobileNote.objects.get(uuid=note["noteId"]).legacy_note_id)
    MirrorEntry.objects.filter(pk=entry.pk).update(generation=entry.generation + 1)

    result = mirror_send(note_ids=[entry.legacy_note_id])

    assert result.sent == 1  # settled: the table already holds something newer
    assert table_item(aws_stack, note["noteId"]) == newer


def test_the_reconciler_finds_the_php_sites_writes(aws_stack: DevstackResources, alice: Member) -> None:
    mirror_reconcile()  # the first run settles what is already there
    mirror_send()
    written = site_note(alice.user_id, headline="Written by PHP")
    with legacy_connection().cursor() as cursor:
        cursor.execute("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'php')", [written])

    assert mirror_reconcile() >= 1
    assert mirror_send().failed == 0
    listed = alice.client.get("/api/v1/notes/").json()["results"]
    assert table_item(aws_stack, listed[0]["noteId"]) == expected_item(listed[0])

    # Edited, then soft-deleted by the site.
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET headline = 'Edited by PHP', updated_at = updated_at + INTERVAL 1 SECOND "
            "WHERE note_id = %s",
            [written],
        )
    mirror_reconcile()
    mirror_send()
    again = alice.client.get(f"/api/v1/notes/{listed[0]['noteId']}").json()
    assert table_item(aws_stack, listed[0]["noteId"]) == expected_item(again)
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET deleted = 1, updated_at = updated_at + INTERVAL 1 SECOND WHERE note_id = %s", [written]
        )
    mirror_reconcile()
    mirror_send()
    assert table_item(aws_stack, listed[0]["noteId"]) is None


def test_a_lost_outbox_row_is_healed_by_the_reconciler(aws_stack: DevstackResources, alice: Member) -> None:
    note = alice.create(headline="Before the crash")
    legacy_id = MobileNote.objects.get(uuid=note["noteId"]).legacy_note_id
    mirror_reconcile()
    mirror_send()
    # The MyISAM row changed, and the process died before its outbox row was written.
    with legacy_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE notes SET headline = 'After the crash', updated_at = updated_at + INTERVAL 1 SECOND "
            "WHERE note_id = %s",
            [legacy_id],
        )

    mirror_reconcile()
    mirror_send()

    assert table_item(aws_stack, note["noteId"])["headline"] == {"S": "After the crash"}


def test_the_commands_report(aws_stack: DevstackResources, alice: Member) -> None:
    alice.create()
    out = StringIO()

    call_command("mirror_reconcile", stdout=out)
    call_command("mirror_drain", stdout=out)

    assert "Queued for the mirror:" in out.getvalue()
    assert "Sent:" in out.getvalue()
