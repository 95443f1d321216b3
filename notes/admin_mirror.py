"""The admin's "Mirror status" page (URL name `admin:mirror-status`): what has not reached DynamoDB
yet, why, since when; "retry now"; how far behind the search index is."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from api.readonly_admin import ReadOnlyAdmin
from notes.mirror_status import (
    mirror_backlog,
    mirror_entries_needing_attention,
    mirror_retry_now,
    search_index_progress,
)
from notes.models import MirrorEntry

MIRROR_STATUS_URL_NAME = "mirror-status"
MIRROR_RETRY_URL_NAME = "mirror-retry"


@admin.register(MirrorEntry)
class MirrorStatusAdmin(ReadOnlyAdmin):
    """The outbox as one page instead of a change list: entries are the mirror's bookkeeping, so
    staff read them and ask for a retry, but never add, edit or delete one."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        # Not a model list: the page is reached from the dashboard's mirror section and the banner.
        return False

    def get_urls(self) -> list[URLPattern]:
        status = self.admin_site.admin_view(self.status_view)
        return [
            path("", status, name=MIRROR_STATUS_URL_NAME),
            # Django's own links to a model's list use this name.
            path("", status, name="notes_mirrorentry_changelist"),
            path("retry/", self.admin_site.admin_view(require_POST(self.retry_view)), name=MIRROR_RETRY_URL_NAME),
        ]

    def status_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        backlog = mirror_backlog()
        entries = mirror_entries_needing_attention()
        context = {
            **self.admin_site.each_context(request),
            "title": "Mirror status",
            "opts": self.opts,
            "backlog": backlog,
            "entries": [
                {
                    "entry": entry,
                    "age_seconds": int((backlog.now - entry.changed_at).total_seconds()),
                    "note_url": reverse("admin:legacy_legacynote_change", args=[entry.legacy_note_id]),
                }
                for entry in entries
            ],
            "search": search_index_progress(),
            "retry_url": reverse(f"admin:{MIRROR_RETRY_URL_NAME}"),
        }
        return render(request, "admin/notes/mirror_status.html", context)

    def retry_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        selected = [int(value) for value in request.POST.getlist("note") if value.isdigit()]
        result = mirror_retry_now(note_ids=None if "all" in request.POST or not selected else selected)
        level = messages.WARNING if result.failed else messages.SUCCESS
        self.message_user(
            request, f"Retried: {result.sent} sent, {result.failed} failed, {result.busy} busy elsewhere.", level
        )
        return HttpResponseRedirect(reverse(f"admin:{MIRROR_STATUS_URL_NAME}"))
