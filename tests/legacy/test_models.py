"""The legacy models read every quirk of the site's tables correctly and write back only edits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test.utils import CaptureQueriesContext

from legacy.fields import MYSQL_ZERO_DATETIME
from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser, LoginAudit, ReadOnlyModelError
from tests.factories import (
    fetch_value,
    legacy_connection,
    row_hex,
    site_insert,
    site_latin1_insert,
    site_note,
    site_quirky_note,
    site_user,
)

pytestmark = pytest.mark.django_db


def test_enum_and_tinyint_columns_read_as_choices_and_booleans() -> None:
    user_id = site_user(status="suspended", is_admin=1)
    note_id = site_note(user_id, visibility="public", deleted=1)

    user = LegacyUser.objects.get(pk=user_id)
    note = LegacyNote.objects.get(pk=note_id)

    assert user.status == LegacyUser.Status.SUSPENDED
    assert user.is_admin is True
    assert note.visibility == LegacyNote.Visibility.PUBLIC
    assert note.deleted is True
    assert LegacyUser.objects.filter(is_admin=True, status="suspended").count() == 1


def test_enum_refuses_a_value_outside_the_column() -> None:
    user = LegacyUser(email="e@example.com", username="enum", password="x", status="banned")

    with pytest.raises(ValidationError) as error:
        user.full_clean()

    assert "status" in error.value.message_dict


def test_zero_dates_read_as_none_and_are_written_back_as_zero_dates() -> None:
    user_id = site_user(created_at=MYSQL_ZERO_DATETIME, last_login=None)

    user = LegacyUser.objects.get(pk=user_id)
    assert user.created_at is None
    assert user.last_login is None

    user.save(update_fields=["created_at"])  # an explicit write of the zero date keeps it
    assert fetch_value("SELECT created_at = %s FROM users WHERE user_id = %s", [MYSQL_ZERO_DATETIME, user_id]) == 1


def test_datetimes_are_whole_seconds_in_utc() -> None:
    user = LegacyUser.objects.create(
        email="t@example.com",
        username="timely",
        password="x",
        created_at=dt.datetime(2020, 5, 6, 7, 8, 9, 987654, tzinfo=dt.UTC),
    )

    assert fetch_value("SELECT CAST(created_at AS CHAR) FROM users WHERE user_id = %s", [user.pk]) == (
        "2020-05-06 07:08:09"
    )
    assert LegacyUser.objects.get(pk=user.pk).created_at == dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def test_latin1_text_written_by_php_over_a_latin1_connection_reads_correctly() -> None:
    user_id = site_user()
    text = "Crème brûlée für 5 € – naïve façade"
    note_id = site_latin1_insert(
        "notes", user_id=user_id, headline=text, body="Señor Müller\r\nß", created_at="2011-01-01 00:00:00"
    )

    note = LegacyNote.objects.get(pk=note_id)

    assert note.headline == text
    assert note.body == "Señor Müller\r\nß"
    # Stored as real single-byte latin1 (è = E8, € = 80 in cp1252), not as UTF-8 bytes.
    assert "E8" in row_hex("notes", "note_id", note_id)["headline"]
    assert "C3A8" not in row_hex("notes", "note_id", note_id)["headline"]


def test_the_utf8_display_name_holds_other_scripts_but_not_emoji() -> None:
    name = "Ελένη Παπαδοπούλου 日本語 Чайковский"
    user_id = site_user(display_name=name)

    user = LegacyUser.objects.get(pk=user_id)
    assert user.display_name == name

    user.display_name = "Party 🎉"
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "display_name" in error.value.message_dict
    assert "🎉" in error.value.message_dict["display_name"][0]


def test_latin1_columns_refuse_text_they_cannot_store() -> None:
    user = LegacyUser.objects.get(pk=site_user())
    note = LegacyNote(user=user, headline="Tokyo 東京", body="ok")

    with pytest.raises(ValidationError) as error:
        note.full_clean()

    assert set(error.value.message_dict) == {"headline"}
    # Strict mode on our connection makes the database refuse too, instead of storing "??".
    with pytest.raises(DatabaseError), transaction.atomic():
        LegacyNote.objects.create(user=user, headline="Tokyo 東京", body="ok")
    assert not LegacyNote.objects.filter(headline__startswith="Tokyo").exists()


def test_unsigned_keys_above_the_signed_range_work() -> None:
    big_id = 3_000_000_000
    site_user(user_id=big_id)
    note_id = site_note(big_id, note_id=big_id + 7)

    assert LegacyUser.objects.get(pk=big_id).user_id == big_id
    note = LegacyNote.objects.select_related("user").get(pk=note_id)
    assert note.pk == big_id + 7

    assert note.user_id == big_id
    assert note.user is not None
    assert note.user.pk == big_id


def test_a_note_whose_user_is_gone_is_still_listed() -> None:
    note_id = site_note(987_654)  # the site hard-deleted the user long ago; MyISAM kept the note

    notes = list(LegacyNote.objects.select_related("user").filter(pk=note_id))

    assert [note.pk for note in notes] == [note_id]
    assert notes[0].user is None
    assert notes[0].user_id == 987_654


def test_insert_through_django_lets_mysql_set_updated_at() -> None:
    user = LegacyUser.objects.get(pk=site_user())

    note = LegacyNote.objects.create(user=user, headline="Hello", body="World")

    server_value = fetch_value("SELECT updated_at FROM notes WHERE note_id = %s", [note.pk])
    assert note.updated_at is not None
    assert note.updated_at.replace(tzinfo=None) == server_value
    assert fetch_value("SELECT created_at <> %s FROM notes WHERE note_id = %s", [MYSQL_ZERO_DATETIME, note.pk]) == 1


def test_saving_an_edited_note_writes_only_the_edited_column() -> None:
    note_id = site_quirky_note()
    before = row_hex("notes", "note_id", note_id)

    note = LegacyNote.objects.get(pk=note_id)
    note.headline = "Crêpes in Normandy"
    with CaptureQueriesContext(legacy_connection()) as queries:
        note.save()

    after = row_hex("notes", "note_id", note_id)
    changed = {column for column in before if before[column] != after[column]}
    assert changed == {"headline", "updated_at"}  # MySQL bumped updated_at, as for the site's edits
    assert fetch_value("SELECT headline FROM notes WHERE note_id = %s", [note_id]) == "Crêpes in Normandy"
    assert fetch_value("SELECT updated_at > '2013-03-03 03:03:03' FROM notes WHERE note_id = %s", [note_id]) == 1
    # (The mirror's outbox and the note index record the change too: they read `notes`, write their own tables.)
    note_writes = [
        query["sql"] for query in queries if "`notes`" in query["sql"] and query["sql"].startswith(("UPDATE", "INSERT"))
    ]
    assert len(note_writes) == 1
    assert "`headline`" in note_writes[0]
    assert "`updated_at`" not in note_writes[0]
    assert "`created_at`" not in queries[0]["sql"]


def test_saving_an_unchanged_note_writes_nothing() -> None:
    note_id = site_quirky_note()
    before = row_hex("notes", "note_id", note_id)

    note = LegacyNote.objects.get(pk=note_id)
    with CaptureQueriesContext(legacy_connection()) as queries:
        note.save()

    assert len(queries) == 0
    assert row_hex("notes", "note_id", note_id) == before


def test_an_edit_left_out_of_update_fields_is_written_by_the_next_save() -> None:
    user = LegacyUser.objects.get(pk=site_user(display_name="Before", status="active"))
    user.display_name = "After"
    user.status = LegacyUser.Status.SUSPENDED

    user.save(update_fields=["display_name"])
    assert fetch_value("SELECT status FROM users WHERE user_id = %s", [user.pk]) == "active"
    user.save()

    assert fetch_value("SELECT status FROM users WHERE user_id = %s", [user.pk]) == "suspended"
    assert fetch_value("SELECT display_name FROM users WHERE user_id = %s", [user.pk]) == "After"


def test_a_deferred_column_loaded_later_is_not_written_back() -> None:
    note_id = site_quirky_note()
    before = row_hex("notes", "note_id", note_id)

    note = LegacyNote.objects.only("note_id", "headline").get(pk=note_id)
    assert note.body.startswith("First line")  # loads the deferred column
    note.save()

    assert row_hex("notes", "note_id", note_id) == before


def test_note_tags_are_read_added_and_removed_by_their_composite_key() -> None:
    note_id = site_note(site_user())
    site_insert("note_tags", note_id=note_id, tag="travel")
    site_insert("note_tags", note_id=note_id, tag="café")

    note = LegacyNote.objects.prefetch_related("tags").get(pk=note_id)
    assert sorted(tag.tag for tag in note.tags.all()) == ["café", "travel"]
    assert LegacyNoteTag.objects.get(pk=(note_id, "travel")).pk == (note_id, "travel")

    LegacyNoteTag.objects.create(note=note, tag="recipes")
    LegacyNoteTag.objects.get(pk=(note_id, "travel")).delete()

    assert sorted(LegacyNoteTag.objects.filter(note_id=note_id).values_list("tag", flat=True)) == ["café", "recipes"]
    assert fetch_value("SELECT COUNT(*) FROM note_tags WHERE note_id = %s", [note_id]) == 2


def test_login_audit_reads_rows_without_a_primary_key_and_refuses_writes() -> None:
    user_id = site_user()
    for ip in ("203.0.113.9", "203.0.113.9", "2001:db8::1"):
        site_insert("login_audit", user_id=user_id, ip=ip, at="2019-09-09 09:09:09")
    site_insert("login_audit", user_id=None, ip=None, at=None)

    rows = list(LoginAudit.objects.filter(user_id=user_id))
    assert len(rows) == 3  # duplicates included: the table has no key
    assert {row.ip for row in rows} == {"203.0.113.9", "2001:db8::1"}
    assert LoginAudit.objects.count() == 4

    with pytest.raises(ReadOnlyModelError):
        rows[0].save()
    with pytest.raises(ReadOnlyModelError):
        rows[0].delete()
    with pytest.raises(ReadOnlyModelError):
        LoginAudit.objects.filter(user_id=user_id).delete()
    with pytest.raises(ReadOnlyModelError):
        LoginAudit.objects.filter(user_id=user_id).update(ip="0.0.0.0")  # noqa: S104
    assert fetch_value("SELECT COUNT(*) FROM login_audit") == 4
