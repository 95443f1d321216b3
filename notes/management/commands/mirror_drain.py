"""`manage.py mirror_drain`: send the mirror's due outbox entries to DynamoDB (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notes.mirror import mirror_send


class Command(BaseCommand):
    help = "Send notes waiting in the mirror's outbox (due ones: failed sends wait with backoff) to DynamoDB."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=5000, help="At most this many notes in one run.")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        result = mirror_send(limit=limit)
        self.stdout.write(f"Sent: {result.sent}, failed (will retry): {result.failed}, busy elsewhere: {result.busy}")
