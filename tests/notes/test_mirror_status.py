"""Operators see the mirror's truth: /readyz fails when changes are stuck, the admin lists them with
their errors and retries them, every admin page warns while sends fail, and metrics are EMF lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings as SettingsWrapper

from aws.metrics import METRICS_LOGGER_NAME
from notes.events import mirror_drain_event
from notes.mirror_status import search_index_progress_record
from notes.models import MirrorEntry, MobileNote
from tests.members import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def emf_lines() -> Iterator[list[dict[str, Any]]]:
    """The EMF lines written while the test runs, parsed (each must be one JSON object)."""
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    handler = Collect()
    metrics_logger = logging.getLogger(METRICS_LOGGER_NAME)
    metrics_logger.addHandler(handler)
    try:
        yield lines
    finally:
        metrics_logger.removeHandler(handler)


def _failing_note(alice: Member, committed: Callable[[], Any], *, age_seconds: int) -> MirrorEntry:
    """A note created while AWS is down (its send failed), changed `age_seconds` ago."""
    with committed():
        note = alice.create(headline="Stuck")
    legacy_note_id = MobileNote.objects.get(uuid=note["noteId"]).legacy_note_id
    entry = MirrorEntry.objects.get(legacy_note_id=legacy_note_id)
    MirrorEntry.objects.filter(pk=entry.pk).update(changed_at=timezone.now() - timedelta(seconds=age_seconds))
    entry.refresh_from_db()
    return entry


def test_readyz_is_503_naming_the_mirror_when_a_change_is_stuck_and_200_once_it_is_sent(
    client: Client, alice: Member, aws_down: Callable[[], None], committed: Callable[[], Any], settings: SettingsWrapper
) -> None:
    settings.READY_MIRROR_MAX_AGE_SECONDS = 900
    entry = _failing_note(alice, committed, age_seconds=1000)
    assert entry.attempts == 1
    assert entry.last_error

    stuck = client.get("/readyz")
    aws_down()
    MirrorEntry.objects.filter(pk=entry.pk).update(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))  # due now
    mirror_drain_event({}, None)
    healthy = client.get("/readyz")

    assert stuck.status_code == 503
    assert stuck["Retry-After"] == "5"
    assert stuck.json()["checks"]["mirror"]["stuck"]["failing"] == 1
    assert stuck.json()["checks"]["mirror"]["stuck"]["oldestAgeSeconds"] >= 1000
    assert stuck.json()["checks"]["databases"] == "ok"
    assert healthy.status_code == 200
    assert healthy.json()["checks"]["mirror"] == "ok"


def test_a_change_younger_than_the_limit_keeps_readyz_green(
    client: Client, alice: Member, aws_down: Callable[[], None], committed: Callable[[], Any], settings: SettingsWrapper
) -> None:
    settings.READY_MIRROR_MAX_AGE_SECONDS = 900
    _failing_note(alice, committed, age_seconds=60)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["mirror"] == "ok"


def test_the_mirror_status_page_lists_a_failing_note_with_its_error_and_retry_now_sends_it(
    staff_client: Client, alice: Member, aws_down: Callable[[], None], committed: Callable[[], Any]
) -> None:
    entry = _failing_note(alice, committed, age_seconds=120)
    search_index_progress_record(oldest_record_at=timezone.now() - timedelta(seconds=7))

    index = staff_client.get(reverse("admin:index")).content.decode()
    page = staff_client.get(reverse("admin:mirror-status")).content.decode()
    aws_down()
    retried = staff_client.post(reverse("admin:mirror-retry"), {"note": [str(entry.legacy_note_id)]}, follow=True)
    after = staff_client.get(reverse("admin:mirror-status")).content.decode()

    assert 'id="mirror-banner"' in index
    assert "1 note change is failing to reach DynamoDB" in index
    assert "1 pending, 1 failing" in page
    assert f">{entry.legacy_note_id}</a>" in page
    assert entry.last_error.split(":")[0] in page
    assert "s behind the table" in page
    assert "Retried: 1 sent, 0 failed" in retried.content.decode()
    assert "0 pending, 0 failing" in after
    assert 'id="mirror-banner"' not in after
    assert MirrorEntry.objects.get(pk=entry.pk).pending is False


def test_the_page_and_the_banner_are_for_staff_only(client: Client) -> None:
    response = client.get(reverse("admin:mirror-status"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_requests_and_drains_write_parseable_emf_lines(
    client: Client, alice: Member, aws_down: Callable[[], None], committed: Callable[[], Any], emf_lines: list[Any]
) -> None:
    entry = _failing_note(alice, committed, age_seconds=30)
    emf_lines.clear()

    client.get("/healthz")
    aws_down()
    MirrorEntry.objects.filter(pk=entry.pk).update(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))  # due now
    mirror_drain_event({}, None)

    request_line = next(line for line in emf_lines if "Requests" in line)
    drain_lines = [line for line in emf_lines if "MirrorBacklogAge" in line]
    (directive,) = request_line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Lambridge"
    assert directive["Dimensions"] == [["Function"]]
    assert {metric["Name"] for metric in directive["Metrics"]} >= {"Requests", "Latency", "Status2xx", "Status5xx"}
    assert request_line["Function"] == "local"
    assert request_line["Status2xx"] == 1
    assert request_line["Status5xx"] == 0
    assert request_line["route"] == "/healthz"
    assert drain_lines[-1]["MirrorPending"] == 0
    assert drain_lines[-1]["MirrorBacklogAge"] == 0
    assert any(line.get("MirrorSent") == 1 for line in emf_lines)
