"""`manage.py mirror_drain`: send the mirror's due outbox entries to DynamoDB (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notes.mirror import mirror_send


class Command(BaseCommand):
    help = "Send notes waiting in the mirror's outbox (due ones: failed sends wait with backoff) to DynamoDB."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=5000, help="At most this many notes in one run.")
        parser.add_argument(
            "--now", action="store_true", help="Also send entries still waiting out their backoff (after an outage)."
        )

    def handle(self, *args: Any, limit: int, now: bool, **options: Any) -> None:
        result = mirror_send(limit=limit, ignore_backoff=now)
        self.stdout.write(f"Sent: {result.sent}, failed (will retry): {result.failed}, busy elsewhere: {result.busy}")
