"""The dashboard on the admin's first page: what staff see of notes, the mirror, search and sign-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings as SettingsWrapper

from notes.models import MirrorEntry
from tests.factories import site_insert, site_note, site_user

pytestmark = pytest.mark.django_db(databases="__all__")


def _dashboard(client: Client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return str(response.content.decode())


def test_failing_and_waiting_outbox_entries_are_counted(staff_client: Client) -> None:
    now = timezone.now()
    MirrorEntry.objects.create(legacy_note_id=1, generation=2, sent_generation=1, changed_at=now, next_attempt_at=now)
    MirrorEntry.objects.create(
        legacy_note_id=2,
        generation=1,
        sent_generation=0,
        changed_at=now - timedelta(hours=1),
        next_attempt_at=now,
        attempts=3,
        last_error="EndpointConnectionError: Could not connect to the endpoint URL",
    )
    MirrorEntry.objects.create(legacy_note_id=3, generation=4, sent_generation=4, changed_at=now, next_attempt_at=now)

    page = _dashboard(staff_client)

    assert "1 failing" in page
    assert "2 waiting in the outbox" in page
    assert "Last error: EndpointConnectionError" in page


def test_an_empty_outbox_is_up_to_date(staff_client: Client) -> None:
    assert "Up to date" in _dashboard(staff_client)


def test_notes_created_today_and_recent_site_sign_ins_are_shown(staff_client: Client) -> None:
    user_id = site_user(username="early-bird")
    site_note(user_id, created_at=timezone.now().strftime("%Y-%m-%d %H:%M:%S"))
    site_note(user_id, created_at="2016-01-02 03:04:05")
    site_insert("login_audit", user_id=user_id, ip="192.0.2.7", at="2025-11-30 09:12:00")

    page = _dashboard(staff_client)

    assert '<div class="figure">1</div>' in page
    assert "2025-11-30 09:12" in page
    assert "early-bird</a> from 192.0.2.7" in page


def test_search_that_does_not_answer_says_so_without_breaking_the_page(
    staff_client: Client, settings: SettingsWrapper
) -> None:
    settings.SEARCH_BACKEND = "cloudsearch"
    settings.CLOUDSEARCH_SEARCH_ENDPOINT = ""
    settings.CLOUDSEARCH_DOCUMENT_ENDPOINT = ""

    page = _dashboard(staff_client)

    assert "Not answering" in page


def test_the_mirror_section_links_to_the_mirror_status_page(staff_client: Client) -> None:
    page = _dashboard(staff_client)

    assert "Mirror to DynamoDB" in page
    assert f'<a href="{reverse("admin:mirror-status")}">Mirror status</a>' in page
