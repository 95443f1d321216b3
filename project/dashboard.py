"""What the admin's first page shows staff at a glance: today's notes, the mirror, search, sign-ins.

Read-only: counts from our tables and the site's, and one small search request to say whether
the index answers (never inside a transaction: the admin index is not wrapped in one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from legacy.models import LegacyNote, LegacyUser, LoginAudit
from notes.models import MirrorEntry
from notes.search.backend import search_backend

RECENT_SIGN_INS = 8


@dataclass(frozen=True)
class SignIn:
    at: datetime | None
    ip: str
    user_id: int
    username: str


@dataclass(frozen=True)
class Dashboard:
    notes_created_today: int
    notes_changed_today: int
    mirror_pending: int
    mirror_failing: int
    mirror_oldest_pending: datetime | None
    mirror_last_error: str
    search_backend: str
    search_problem: str  # empty: the index answers
    sign_ins: list[SignIn] = field(default_factory=list)


def _start_of_today() -> datetime:
    now = timezone.localtime()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _search_problem() -> str:
    """Empty when the configured index answers a one-document request; otherwise why not."""
    try:
        next(iter(search_backend().indexed_ids()), None)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return ""


def dashboard_summary() -> Dashboard:
    today = _start_of_today()
    live = LegacyNote.objects.filter(deleted=False)
    pending = MirrorEntry.objects.filter(generation__gt=F("sent_generation"))
    failing = pending.filter(attempts__gt=0)
    oldest = pending.order_by("changed_at").values_list("changed_at", flat=True).first()
    last_error = failing.order_by("-next_attempt_at").values_list("last_error", flat=True).first() or ""
    rows = list(LoginAudit.objects.order_by("-at")[:RECENT_SIGN_INS])
    usernames = dict(
        LegacyUser.objects.filter(user_id__in={row.user_id for row in rows}).values_list("user_id", "username")
    )
    return Dashboard(
        notes_created_today=live.filter(created_at__gte=today).count(),
        notes_changed_today=LegacyNote.objects.filter(updated_at__gte=today).count(),
        mirror_pending=pending.count(),
        mirror_failing=failing.count(),
        mirror_oldest_pending=oldest,
        mirror_last_error=last_error[:300],
        search_backend=settings.SEARCH_BACKEND,
        search_problem=_search_problem(),
        sign_ins=[
            SignIn(at=row.at, ip=row.ip or "", user_id=row.user_id, username=usernames.get(row.user_id, "?"))
            for row in rows
        ],
    )
