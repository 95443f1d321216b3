"""The staff admin of push: registered devices (read-only, never their tokens) and broadcasts.

A broadcast is written as a draft, its payload per platform shown for review, then sent with the
"Send" action; the record keeps who sent it, when, and how many endpoints it reached.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from legacy.models import LegacyUser
from push.models import Broadcast, Device
from push.services import PushNotConfigured, broadcast_create, broadcast_payloads, broadcast_send, broadcast_start

# The admin's request sends for this long, so it answers within API Gateway's 29 s; what is left
# goes on with `push_drain` (scheduled every minute), and the broadcast's page shows the progress.
ADMIN_SEND_BUDGET_SECONDS = 25.0
SITE_USER_IDS_MAX = 10_000
_DEEP_LINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("device_id", "site_user_id", "platform", "enabled", "app_version", "locale", "last_seen_at")
    list_filter = ("platform", "enabled")
    search_fields = ("=site_user_id", "=device_id")
    # The token is the device's secret: not shown, not searchable.
    fields = (
        "device_id",
        "site_user_id",
        "platform",
        "enabled",
        "endpoint_arn",
        "subscription_arn",
        "locale",
        "app_version",
        "created_at",
        "last_seen_at",
        "sync_pending_since",
        "last_sync_push_at",
        "sync_attempts",
        "sync_last_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # devices come from the apps

    def has_change_permission(self, request: HttpRequest, obj: Device | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Device | None = None) -> bool:
        return False  # a row deleted here would leave its SNS endpoint behind: the apps unregister


class BroadcastForm(forms.ModelForm):
    site_users = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For “selected site users”: their user ids, separated by commas, spaces or lines.",
    )

    class Meta:
        model = Broadcast
        fields = ("title", "body", "deep_link", "audience")

    def clean_deep_link(self) -> str:
        link = str(self.cleaned_data.get("deep_link") or "").strip()
        if link and not _DEEP_LINK.fullmatch(link):
            raise forms.ValidationError("A link with a scheme, e.g. lambridge://notes/42 or https://example.com/news.")
        return link

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = str(cleaned.get("site_users") or "")
        ids: list[int] = []
        for part in re.split(r"[\s,;]+", text.strip()):
            if not part:
                continue
            if not part.isdigit():
                self.add_error("site_users", f"“{part[:20]}” is not a user id.")
                return cleaned
            ids.append(int(part))
        ids = sorted(set(ids))
        if cleaned.get("audience") == Broadcast.Audience.USERS:
            if not ids:
                self.add_error("site_users", "Name at least one site user, or choose every device.")
            elif len(ids) > SITE_USER_IDS_MAX:
                self.add_error("site_users", f"At most {SITE_USER_IDS_MAX} users per broadcast.")
            else:
                found = set(LegacyUser.objects.filter(pk__in=ids).values_list("pk", flat=True))
                missing = [str(user_id) for user_id in ids if user_id not in found]
                if missing:
                    self.add_error("site_users", f"No site user with id {', '.join(missing[:10])}.")
        cleaned["site_user_ids"] = ids
        return cleaned


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    form = BroadcastForm
    list_display = (
        "title",
        "audience",
        "status",
        "created_by",
        "created_at",
        "sent_by",
        "started_at",
        "endpoints_total",
        "endpoints_reached",
        "failures",
    )
    list_filter = ("status", "audience")
    actions = ("send_broadcasts",)
    _RECORD_FIELDS = (
        "status",
        "site_user_ids",
        "created_by",
        "created_at",
        "sent_by",
        "started_at",
        "finished_at",
        "endpoints_total",
        "endpoints_reached",
        "failures",
        "endpoints_disabled",
        "topic_message_id",
        "last_error",
        "payload_preview",
    )

    def get_fields(self, request: HttpRequest, obj: Broadcast | None = None) -> Any:
        if obj is None:
            return ("title", "body", "deep_link", "audience", "site_users")
        return ("title", "body", "deep_link", "audience", *self._RECORD_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Broadcast | None = None) -> Any:
        # A broadcast is a record once written: a wrong draft is replaced by a new one.
        if obj is None:
            return ()
        return ("title", "body", "deep_link", "audience", *self._RECORD_FIELDS)

    @admin.display(description="payload per platform (what the devices receive)")
    def payload_preview(self, obj: Broadcast) -> str:
        payloads = broadcast_payloads(broadcast=obj)
        rows = ((key, _pretty(value)) for key, value in payloads.items())
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td><pre>{}</pre></td></tr>", rows),
        )

    def save_model(self, request: HttpRequest, obj: Broadcast, form: Any, change: bool) -> None:
        if change:
            return  # nothing is editable after creation
        created = broadcast_create(
            title=obj.title,
            body=obj.body,
            deep_link=obj.deep_link,
            audience=obj.audience,
            site_user_ids=form.cleaned_data.get("site_user_ids", []),
            created_by_id=request.user.pk,
        )
        obj.pk = created.pk
        obj.created_at = created.created_at

    @admin.action(description="Send the selected draft broadcasts")
    def send_broadcasts(self, request: HttpRequest, queryset: QuerySet[Broadcast]) -> None:
        # Not in the changeform's transaction: admin actions run in autocommit, so SNS is called
        # with no transaction open.
        for broadcast in queryset.filter(status=Broadcast.Status.DRAFT).order_by("pk"):
            try:
                started = broadcast_start(broadcast_id=broadcast.pk, sent_by_id=request.user.pk)
            except PushNotConfigured as exc:
                self.message_user(request, f"“{broadcast.title}” was not sent: {exc}", messages.ERROR)
                continue
            if not started:
                continue
            result = broadcast_send(broadcast_id=broadcast.pk, time_budget_seconds=ADMIN_SEND_BUDGET_SECONDS)
            if result.status == Broadcast.Status.DONE:
                self.message_user(
                    request,
                    f"“{result.title}” sent: {result.endpoints_reached} of {result.endpoints_total} devices reached, "
                    f"{result.failures} failed.",
                    messages.SUCCESS if not result.failures else messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    f"“{result.title}” is still sending ({result.endpoints_reached} of {result.endpoints_total} so "
                    "far); the scheduled push_drain finishes it. Its page shows the progress.",
                    messages.WARNING,
                )
        skipped = queryset.exclude(status=Broadcast.Status.DRAFT).count()
        if skipped:
            self.message_user(request, f"{skipped} broadcast(s) had been sent already and were skipped.", messages.INFO)


def _pretty(value: str) -> str:
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except ValueError:
        return value  # the "default" entry is plain text
