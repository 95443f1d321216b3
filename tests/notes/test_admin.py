"""Staff edits in the admin are versions the apps see: the version moves, sync and ETags follow."""

from __future__ import annotations

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import fetch_value
from tests.members import Member
from tests.uploads.helpers import PNG_BYTES

pytestmark = pytest.mark.django_db


def legacy_id_of(member: Member) -> int:
    return int(fetch_value("SELECT MAX(note_id) FROM notes WHERE user_id = %s", [member.user_id]))


def admin_form(legacy_id: int, **changes: str) -> dict[str, str]:
    form = {
        "user": str(fetch_value("SELECT user_id FROM notes WHERE note_id = %s", [legacy_id])),
        "headline": fetch_value("SELECT headline FROM notes WHERE note_id = %s", [legacy_id]),
        "body": fetch_value("SELECT body FROM notes WHERE note_id = %s", [legacy_id]),
        "tags": fetch_value("SELECT COALESCE(GROUP_CONCAT(tag), '') FROM note_tags WHERE note_id = %s", [legacy_id]),
        "visibility": fetch_value("SELECT visibility FROM notes WHERE note_id = %s", [legacy_id]),
        "photo_path": "",
        "_save": "Save",
    }
    return form | changes


def test_a_staff_edit_is_one_new_version(staff_client: Client, alice: Member) -> None:
    note = alice.create(tags=["a"])
    legacy_id = legacy_id_of(alice)
    url = reverse("admin:legacy_legacynote_change", args=[legacy_id])

    staff_client.post(url, admin_form(legacy_id, headline="Fixed by staff"))
    after_edit = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()
    staff_client.post(url, admin_form(legacy_id, tags="a, b"))
    after_tags = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()
    staff_client.post(url, admin_form(legacy_id))
    after_nothing = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()

    assert (after_edit["headline"], after_edit["version"]) == ("Fixed by staff", 2)
    assert (after_tags["tags"], after_tags["version"]) == (["a", "b"], 3)
    assert after_nothing["version"] == 3


def test_staff_soft_delete_and_restore_are_seen_by_the_app(staff_client: Client, alice: Member) -> None:
    note = alice.create()
    legacy_id = legacy_id_of(alice)
    changelist = reverse("admin:legacy_legacynote_changelist")

    staff_client.post(changelist, {"action": "soft_delete", "_selected_action": [legacy_id]})
    hidden = alice.client.get(f"/api/v1/notes/{note['noteId']}")
    staff_client.post(changelist, {"action": "restore", "_selected_action": [legacy_id]})
    restored = alice.client.get(f"/api/v1/notes/{note['noteId']}")

    assert hidden.status_code == 404
    assert restored.status_code == 200
    assert restored.json()["version"] == 3


def test_a_note_staff_add_gets_a_note_id(staff_client: Client, alice: Member) -> None:
    staff_client.post(
        reverse("admin:legacy_legacynote_add"),
        {"user": str(alice.user_id), "headline": "From staff", "body": "Hi", "visibility": "private", "tags": "x"},
    )

    listed = alice.client.get("/api/v1/notes/").json()["results"]

    assert [(note["headline"], note["tags"], note["version"]) for note in listed] == [("From staff", ["x"], 1)]


def test_staff_upload_replace_and_remove_a_photo(staff_client: Client, alice: Member, aws_stack: object) -> None:
    note = alice.create()
    legacy_id = legacy_id_of(alice)
    url = reverse("admin:legacy_legacynote_change", args=[legacy_id])

    uploaded = staff_client.post(
        url, admin_form(legacy_id) | {"photo": SimpleUploadedFile("b.png", PNG_BYTES, "image/png")}
    )
    shown = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()
    page = staff_client.get(url).content.decode()
    refused = staff_client.post(
        url, admin_form(legacy_id) | {"photo": SimpleUploadedFile("x.png", b"hi", "text/plain")}
    )
    staff_client.post(url, admin_form(legacy_id, remove_photo="on"))
    removed = alice.client.get(f"/api/v1/notes/{note['noteId']}").json()

    assert uploaded.status_code == 302
    assert shown["photoKey"].startswith(f"staff/{legacy_id}/")
    assert shown["version"] == 2
    assert requests.get(shown["s3Url"], timeout=10).content == PNG_BYTES
    assert '<img src="' in page
    assert shown["photoKey"] in page
    assert refused.status_code == 200
    assert "photo" in refused.context["adminform"].form.errors
    assert (removed["photoKey"], removed["version"]) == (None, 3)
    assert fetch_value("SELECT photo_path FROM notes WHERE note_id = %s", [legacy_id]) is None
