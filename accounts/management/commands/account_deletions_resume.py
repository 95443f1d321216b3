"""`manage.py account_deletions_resume`: finish interrupted account deletions (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.deletion import account_deletions_resume


class Command(BaseCommand):
    help = "Finish every account deletion a crash or an outage left unfinished (each resumes at its next step)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = account_deletions_resume()
        self.stdout.write(
            f"Finished: {result.finished}, still incomplete (will retry): {result.incomplete}, "
            f"running elsewhere: {result.busy}"
        )
