"""Staff use the admin over the site's users and notes; edits leave everything else byte-identical."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from legacy.fields import MYSQL_ZERO_DATETIME
from legacy.models import LegacyNote
from tests.conftest import STAFF_PASSWORD
from tests.factories import fetch_value, row_hex, site_insert, site_note, site_quirky_note, site_user

pytestmark = pytest.mark.django_db


def test_the_admin_needs_a_staff_login() -> None:
    User.objects.create_user("member", "m@example.com", STAFF_PASSWORD)  # not staff
    client = Client()
    client.post(reverse("admin:login"), {"username": "member", "password": STAFF_PASSWORD})

    response = client.get(reverse("admin:legacy_legacynote_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_users_are_listed_searched_and_filtered(staff_client: Client) -> None:
    site_user(username="ellen", email="ellen@example.com", display_name="Ελένη", status="suspended")
    site_user(username="bob", email="bob@example.com", password="5f4dcc3b5aa765d61d8327deb882cf99")
    site_user(username="zero", created_at=MYSQL_ZERO_DATETIME)
    url = reverse("admin:legacy_legacyuser_changelist")

    listing = staff_client.get(url).content.decode()
    assert all(name in listing for name in ("ellen", "bob", "zero", "Ελένη"))
    assert "0000-00-00" in listing  # the zero date is shown as such, not as an error or today

    searched = staff_client.get(url, {"q": "ellen@"}).content.decode()
    assert "ellen" in searched
    assert "bob@example.com" not in searched

    suspended = staff_client.get(url, {"status__exact": "suspended"}).content.decode()
    assert "ellen" in suspended
    assert "bob@example.com" not in suspended

    md5 = staff_client.get(url, {"password": "md5"}).content.decode()
    assert "bob@example.com" in md5
    assert "ellen@example.com" not in md5


def test_the_user_page_never_shows_the_password_hash(staff_client: Client) -> None:
    user_id = site_user(password="$2y$10$abcdefghijklmnopqrstuuHASHHASHHASHHASHHASHHASHHASHHAS")
    site_insert("login_audit", user_id=user_id, ip="198.51.100.7", at="2020-02-02 02:02:02")

    page = staff_client.get(reverse("admin:legacy_legacyuser_change", args=[user_id])).content.decode()

    assert "HASHHASH" not in page
    assert "bcrypt" in page
    assert "198.51.100.7" in page  # recent sign-ins from login_audit


def test_notes_are_listed_with_tags_searched_and_filtered(staff_client: Client) -> None:
    owner = site_user(username="writer")
    beach = site_note(owner, headline="Beach day", visibility="public")
    site_insert("note_tags", note_id=beach, tag="travel")
    site_insert("note_tags", note_id=beach, tag="summer")
    site_note(owner, headline="Soup recipe", deleted=1)
    site_note(123_456, headline="Orphaned note")
    url = reverse("admin:legacy_legacynote_changelist")

    listing = staff_client.get(url).content.decode()
    assert "Beach day" in listing
    assert "summer, travel" in listing or "travel, summer" in listing
    assert "missing user #123456" in listing

    assert "Soup recipe" not in staff_client.get(url, {"q": "beach"}).content.decode()
    by_tag = staff_client.get(url, {"tag": "travel"}).content.decode()
    assert "Beach day" in by_tag
    assert "Soup recipe" not in by_tag
    deleted = staff_client.get(url, {"deleted__exact": "1"}).content.decode()
    assert "Soup recipe" in deleted
    assert "Beach day" not in deleted


def _browser_post(note_id: int, **changes: Any) -> dict[str, Any]:
    """The change form as a browser submits it: current values, textarea lines ending in CRLF."""
    note = LegacyNote.objects.get(pk=note_id)
    form = {
        "user": str(note.user_id),
        "headline": note.headline,
        "body": note.body.replace("\r\n", "\n").replace("\n", "\r\n"),
        "tags": ", ".join(note.tags.values_list("tag", flat=True)),
        "visibility": note.visibility,
        "photo_path": note.photo_path or "",
        "_save": "Save",
    }
    if note.deleted:
        form["deleted"] = "on"
    form.update(changes)
    return form


def _quirky_site_note() -> int:
    # LF line endings: the browser sends the textarea back with CRLF.
    note_id = site_quirky_note(body="First line\nSecond line ends in spaces   \n")
    site_insert("note_tags", note_id=note_id, tag="food")
    return note_id


def test_editing_one_field_in_the_admin_leaves_every_other_column_byte_identical(staff_client: Client) -> None:
    note_id = _quirky_site_note()
    before = row_hex("notes", "note_id", note_id)
    url = reverse("admin:legacy_legacynote_change", args=[note_id])

    response = staff_client.post(url, _browser_post(note_id, visibility="public"))

    assert response.status_code == 302, response.content.decode()[:2000]
    after = row_hex("notes", "note_id", note_id)
    assert {column for column in before if before[column] != after[column]} == {"visibility", "updated_at"}
    assert fetch_value("SELECT visibility FROM notes WHERE note_id = %s", [note_id]) == "public"
    # Changed by MySQL's ON UPDATE, exactly as when the site edits a row.
    assert fetch_value("SELECT updated_at > '2013-03-03 03:03:03' FROM notes WHERE note_id = %s", [note_id]) == 1
    assert fetch_value("SELECT COUNT(*) FROM note_tags WHERE note_id = %s AND tag = 'food'", [note_id]) == 1


def test_saving_the_admin_form_unchanged_writes_nothing(staff_client: Client) -> None:
    note_id = _quirky_site_note()
    before = row_hex("notes", "note_id", note_id)
    url = reverse("admin:legacy_legacynote_change", args=[note_id])

    response = staff_client.post(url, _browser_post(note_id))

    assert response.status_code == 302
    assert row_hex("notes", "note_id", note_id) == before  # CRLF and trimmed spaces did not count as edits


def test_editing_the_text_in_the_admin_stores_the_new_text(staff_client: Client) -> None:
    note_id = _quirky_site_note()
    url = reverse("admin:legacy_legacynote_change", args=[note_id])

    staff_client.post(url, _browser_post(note_id, headline="Galettes in Brittany", body="Rewritten\r\nbody"))

    note = LegacyNote.objects.get(pk=note_id)
    assert note.headline == "Galettes in Brittany"
    assert note.body == "Rewritten\r\nbody"
    assert note.created_at is None  # still the zero date
    assert fetch_value("SELECT created_at = %s FROM notes WHERE note_id = %s", [MYSQL_ZERO_DATETIME, note_id]) == 1


def test_tags_are_added_and_removed_from_the_admin(staff_client: Client) -> None:
    note_id = _quirky_site_note()
    url = reverse("admin:legacy_legacynote_change", args=[note_id])

    staff_client.post(url, _browser_post(note_id, tags="Travel, café, travel , "))

    tags = fetch_value("SELECT GROUP_CONCAT(tag ORDER BY tag) FROM note_tags WHERE note_id = %s", [note_id])
    assert tags == "café,Travel"


def test_text_the_site_cannot_store_is_refused_with_a_clear_error(staff_client: Client) -> None:
    note_id = _quirky_site_note()
    before = row_hex("notes", "note_id", note_id)
    url = reverse("admin:legacy_legacynote_change", args=[note_id])

    response = staff_client.post(url, _browser_post(note_id, headline="Crêpes 🥞"))

    assert response.status_code == 200
    assert "cannot store: 🥞" in response.content.decode()
    assert row_hex("notes", "note_id", note_id) == before


def test_staff_soft_delete_and_restore_notes_and_cannot_hard_delete(staff_client: Client) -> None:
    note_id = site_note(site_user())
    url = reverse("admin:legacy_legacynote_changelist")

    staff_client.post(url, {"action": "soft_delete", "_selected_action": [note_id]})
    assert fetch_value("SELECT deleted FROM notes WHERE note_id = %s", [note_id]) == 1
    staff_client.post(url, {"action": "restore", "_selected_action": [note_id]})
    assert fetch_value("SELECT deleted FROM notes WHERE note_id = %s", [note_id]) == 0

    assert staff_client.get(reverse("admin:legacy_legacynote_delete", args=[note_id])).status_code == 403
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE note_id = %s", [note_id]) == 1


def test_staff_add_a_note_for_a_site_user(staff_client: Client) -> None:
    owner = site_user()

    response = staff_client.post(
        reverse("admin:legacy_legacynote_add"),
        {"user": str(owner), "headline": "Welcome", "body": "Hi", "visibility": "public", "tags": "news", "_save": "1"},
    )

    assert response.status_code == 302
    note = LegacyNote.objects.get(headline="Welcome")
    assert note.user_id == owner
    assert list(note.tags.values_list("tag", flat=True)) == ["news"]
    assert note.created_at is not None
