"""The staff admin over the site's users, and what every admin of a site table shares.

Edits write only the columns a person really changed (see LegacyModel.save), and text a browser
merely reformatted (CRLF line endings, trimmed spaces) keeps its stored bytes. Nothing is ever
hard-deleted: the site marks users suspended or deleted. Notes have their admin in notes/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from legacy.models import BCRYPT_PREFIX, MD5_HEX_PATTERN, LegacyUser, LoginAudit

RECENT_SIGN_INS = 10


def _normalized_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


class RoundTripCharField(forms.CharField):
    """Text a browser round trip may reformat; only a real edit counts as a change."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(_normalized_text(initial or "") != _normalized_text(data or ""))


class LegacyModelForm(forms.ModelForm):
    """Keeps the stored bytes of every text field the user did not really change."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None:
            for name, field in self.fields.items():
                if isinstance(field, RoundTripCharField) and name in cleaned and name not in self.changed_data:
                    cleaned[name] = self.get_initial_for_field(field, name)
        return cleaned


class LegacyModelAdmin(admin.ModelAdmin):
    """Admin of a site table: text fields survive a browser round trip unchanged."""

    formfield_overrides = {
        models.CharField: {"form_class": RoundTripCharField},
        models.TextField: {"form_class": RoundTripCharField},
    }


# One date format on every admin page (lists, forms, sign-ins): sortable, short enough for a list
# column, and the same shape as the site's own DATETIME columns.
ADMIN_DATETIME_FORMAT = "%Y-%m-%d %H:%M"


def admin_datetime(value: Any, *, empty: str = "—") -> str:
    """A date and time as every admin page shows it (in TIME_ZONE); ``empty`` when there is none."""
    if not isinstance(value, datetime):
        return empty
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(ADMIN_DATETIME_FORMAT)


def zero_date_display(value: Any) -> str:
    """A DATETIME for the admin; the site's zero date (read as None) is shown as such."""
    if value is None:
        return format_html('<span title="{}">0000-00-00 00:00</span>', "zero date: unknown")
    return admin_datetime(value)


# --- Users ----------------------------------------------------------------------------------


class PasswordSchemeFilter(admin.SimpleListFilter):
    title = "password"
    parameter_name = "password"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("bcrypt", "bcrypt"), ("md5", "md5 (legacy)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "bcrypt":
            return queryset.filter(password__startswith=BCRYPT_PREFIX)
        if self.value() == "md5":
            return queryset.filter(password__regex=MD5_HEX_PATTERN)
        return queryset


class LegacyUserForm(LegacyModelForm):
    class Meta:
        model = LegacyUser
        fields = ("username", "email", "display_name", "status", "is_admin")


@admin.register(LegacyUser)
class LegacyUserAdmin(LegacyModelAdmin):
    form = LegacyUserForm
    list_display = (
        "user_id",
        "username",
        "email",
        "display_name",
        "status",
        "is_admin",
        "note_count",
        "created",
        "last_sign_in",
    )
    list_display_links = ("user_id", "username")
    list_filter = ("status", "is_admin", PasswordSchemeFilter)
    search_fields = ("username", "email", "display_name", "=user_id")
    fieldsets = (
        (None, {"fields": ("user_id", "username", "email", "display_name")}),
        ("Access", {"fields": ("status", "is_admin", "password_scheme")}),
        ("History", {"fields": ("created", "last_sign_in", "notes_link", "recent_sign_ins")}),
    )
    readonly_fields = ("user_id", "password_scheme", "created", "last_sign_in", "notes_link", "recent_sign_ins")
    actions = ("suspend_users", "reactivate_users")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegacyUser]:
        return super().get_queryset(request).annotate(note_total=Count("notes", filter=Q(notes__deleted=False)))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Site accounts are created by signing up (on the site, or through Cognito), never here.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The site keeps its users; mark them suspended or deleted instead.
        return False

    @admin.display(description="notes", ordering="note_total")
    def note_count(self, user: Any) -> int:
        return int(user.note_total)

    @admin.display(description="created", ordering="created_at")
    def created(self, user: LegacyUser) -> Any:
        return zero_date_display(user.created_at)

    @admin.display(description="last login", ordering="last_login")
    def last_sign_in(self, user: LegacyUser) -> str:
        return admin_datetime(user.last_login)

    @admin.display(description="notes")
    def notes_link(self, user: LegacyUser) -> str:
        url = reverse("admin:legacy_legacynote_changelist") + f"?user__user_id__exact={user.user_id}"
        return format_html('<a href="{}">Notes of {}</a>', url, user.username)

    @admin.display(description="recent sign-ins")
    def recent_sign_ins(self, user: LegacyUser) -> str:
        rows = LoginAudit.objects.filter(user_id=user.user_id).order_by("-at")[:RECENT_SIGN_INS]
        if not rows:
            return "none recorded"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{} from {}</li>", ((admin_datetime(row.at), row.ip) for row in rows)),
        )

    @admin.action(description="Suspend the selected users")
    def suspend_users(self, request: HttpRequest, queryset: QuerySet[LegacyUser]) -> None:
        changed = queryset.exclude(status=LegacyUser.Status.SUSPENDED).update(status=LegacyUser.Status.SUSPENDED)
        self.message_user(request, f"{changed} user(s) suspended.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected users")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[LegacyUser]) -> None:
        changed = queryset.exclude(status=LegacyUser.Status.ACTIVE).update(status=LegacyUser.Status.ACTIVE)
        self.message_user(request, f"{changed} user(s) reactivated.", messages.SUCCESS)
