"""Creates racing on one noteId, as an app retrying over a flaky network does: exactly one note."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from tests.factories import fetch_value
from tests.members import Member

CONCURRENT_CREATES = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creates_with_one_note_id_leave_one_note(alice: Member) -> None:
    alice.client.get("/api/v1/me")  # linked before the race, as after sign-in
    note_id = str(uuid.uuid4())
    start = threading.Barrier(CONCURRENT_CREATES)

    def create(n: int) -> tuple[int, str]:
        try:
            start.wait()
            response = alice.client.post(
                "/api/v1/notes/", {"noteId": note_id, "headline": f"Attempt {n}", "text": ""}, format="json"
            )
            return response.status_code, response.json()["noteId"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=CONCURRENT_CREATES) as pool:
        results = list(pool.map(create, range(CONCURRENT_CREATES)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (CONCURRENT_CREATES - 1) + [201]
    assert {returned for _, returned in results} == {note_id}
    assert fetch_value("SELECT COUNT(*) FROM notes WHERE user_id = %s", [alice.user_id]) == 1
    assert fetch_value("SELECT COUNT(*) FROM notes_mobilenote WHERE uuid = %s", [note_id.replace("-", "")]) == 1
