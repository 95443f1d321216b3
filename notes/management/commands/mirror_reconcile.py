"""`manage.py mirror_reconcile`: queue notes the PHP site changed (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notes.reconcile import mirror_reconcile


class Command(BaseCommand):
    help = (
        "Find notes created, changed or soft-deleted outside Lambridge (by updated_at, since the last run,"
        " with an overlap) and queue them for the mirror; mirror_drain sends them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = mirror_reconcile()
        self.stdout.write(f"Queued for the mirror: {queued}")
