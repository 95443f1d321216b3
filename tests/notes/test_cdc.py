"""Change data capture: the PHP site's writes, read from a real MariaDB binlog, reach DynamoDB, the
search index and the apps with no reconcile run.

These tests need a server with the row-based binlog on: `make test` runs them against a private
MariaDB (devstack/binlog_mysql.py), never the shared one: `python -m devstack.binlog_mysql -- pytest -m binlog`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from pytest_django import Settings as SettingsWrapper

from devstack.stream_poller import StreamPoller
from notes.cdc import POSITION_MARK, cdc_run, cdc_server_check
from notes.mirror import mirror_send
from notes.models import MirrorState
from tests.factories import site_note
from tests.members import Member
from tests.notes.helpers import feed, note_id_of, site, table_items
from tests.notes.search_helpers import indexed_documents

pytestmark = [pytest.mark.binlog, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def following(table: str) -> None:
    """CDC started: the first run takes the server's current position (after a full reconcile)."""
    first = cdc_run(max_seconds=2)
    assert first.healed == "started"
    assert mirror_send().failed == 0


def test_every_kind_of_site_write_reaches_the_table_with_no_reconcile(
    following: None, table: str, alice: Member, bob: Member
) -> None:
    kept = site_note(alice.user_id, headline="Written by PHP")
    edited = site_note(alice.user_id, headline="Before")
    soft = site_note(alice.user_id, headline="Soft-deleted later")
    hard = site_note(alice.user_id, headline="Hard-deleted later")
    moved = site_note(alice.user_id, headline="Moves to Bob")
    tagged = site_note(alice.user_id, headline="Tagged later")
    assert cdc_run(max_seconds=2).notes_recorded == 6
    assert mirror_send().failed == 0
    ids = {legacy: note_id_of(legacy) for legacy in (kept, edited, soft, hard, moved, tagged)}
    assert set(ids.values()) <= set(table_items(table))
    _, _, alice_cursor = feed(alice)
    _, _, bob_cursor = feed(bob)

    # Two edits in one second: the second leaves updated_at where it was.
    site("UPDATE notes SET headline = 'First edit', updated_at = '2030-01-01 00:00:00' WHERE note_id = %s", edited)
    site("UPDATE notes SET headline = 'Second edit', updated_at = '2030-01-01 00:00:00' WHERE note_id = %s", edited)
    site("UPDATE notes SET deleted = 1 WHERE note_id = %s", soft)
    site("DELETE FROM notes WHERE note_id = %s", hard)
    site("UPDATE notes SET user_id = %s WHERE note_id = %s", bob.user_id, moved)
    site("INSERT INTO note_tags (note_id, tag) VALUES (%s, 'late')", tagged)

    result = cdc_run(max_seconds=2)

    assert result.notes_recorded == 5
    assert {alice.user_id, bob.user_id} <= result.owners_touched
    assert result.failed == 0
    mirrored = table_items(table)
    assert mirrored[ids[edited]]["headline"] == {"S": "Second edit"}
    assert ids[soft] not in mirrored
    assert ids[hard] not in mirrored
    assert mirrored[ids[moved]]["userId"] == {"N": str(bob.user_id)}
    assert mirrored[ids[tagged]]["tags"] == {"L": [{"S": "late"}]}
    assert mirrored[ids[kept]]["headline"] == {"S": "Written by PHP"}
    # And the apps' sync feeds: the old owner hears of the move, the outright delete and the rest.
    alice_changed, alice_deleted, _ = feed(alice, alice_cursor)
    bob_changed, _, _ = feed(bob, bob_cursor)
    assert set(alice_deleted) == {ids[soft], ids[hard], ids[moved]}
    assert alice_changed[ids[edited]]["headline"] == "Second edit"
    assert alice_changed[ids[tagged]]["tags"] == ["late"]
    assert ids[kept] not in alice_changed
    assert set(bob_changed) == {ids[moved]}


def test_the_search_index_follows_through_the_stream(
    following: None, table: str, alice: Member, cloudsearch_domain: Any, tmp_path: Path
) -> None:
    poller = StreamPoller(state_path=tmp_path / "poller.json")
    written = site_note(alice.user_id, headline="Quokka sighting", body="seen by the site")
    cdc_run(max_seconds=2)
    while poller.poll_once():
        pass
    noteid = note_id_of(written)
    assert noteid in indexed_documents(cloudsearch_domain)

    site("UPDATE notes SET deleted = 1 WHERE note_id = %s", written)
    cdc_run(max_seconds=2)
    while poller.poll_once():
        pass

    assert noteid not in indexed_documents(cloudsearch_domain)


def test_a_run_goes_on_from_its_saved_position(following: None, table: str, alice: Member) -> None:
    first = site_note(alice.user_id)
    assert cdc_run(max_seconds=2).notes_recorded == 1
    position = MirrorState.objects.get(name=POSITION_MARK).value

    assert cdc_run(max_seconds=2).notes_recorded == 0  # nothing new: nothing read twice
    second = site_note(alice.user_id)
    again = cdc_run(max_seconds=2)

    assert again.notes_recorded == 1
    assert MirrorState.objects.get(name=POSITION_MARK).value != position
    assert {note_id_of(first), note_id_of(second)} <= set(table_items(table))


def test_a_position_the_server_no_longer_has_is_healed_by_one_reconcile(
    following: None, table: str, alice: Member
) -> None:
    written = site_note(alice.user_id, headline="Written while CDC was off")
    MirrorState.objects.filter(name=POSITION_MARK).update(value="binlog.999999:4")

    result = cdc_run(max_seconds=2)

    assert result.healed == "expired"
    assert result.reconciled == 1
    assert mirror_send().failed == 0
    assert note_id_of(written) in table_items(table)
    # And from there on it follows the log again.
    later = site_note(alice.user_id)
    assert cdc_run(max_seconds=2).notes_recorded == 1
    mirror_send()
    assert note_id_of(later) in table_items(table)


def test_the_scheduled_event_runs_only_when_enabled(following: None, settings: SettingsWrapper) -> None:
    from notes.events import cdc_event

    settings.CDC_ENABLED = False
    assert cdc_event({}) == {"skipped": "CDC_ENABLED is off"}
    settings.CDC_ENABLED = True
    summary = cdc_event({})
    assert summary["failed"] == 0
    assert summary["position"].startswith("binlog.")


def test_the_server_check_passes_here() -> None:
    cdc_server_check()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT @@binlog_format")
        assert cursor.fetchone() == ("ROW",)
