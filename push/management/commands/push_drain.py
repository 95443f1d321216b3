"""`manage.py push_drain`: send the silent sync pushes that are due and finish broadcasts still sending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from push.services import push_drain


class Command(BaseCommand):
    help = "Send due silent sync pushes (retries, rate-limited ones) and finish broadcasts still sending."

    def handle(self, *args: Any, **options: Any) -> None:
        result = push_drain()
        sync = result.sync
        self.stdout.write(
            f"sync pushes: {sync.sent} sent, {sync.failed} failed, {sync.disabled} endpoints disabled, "
            f"{sync.waiting} waiting; broadcasts sent in batches: {result.broadcasts_sent}"
        )
