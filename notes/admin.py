"""The staff admin over the site's notes and their tags."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from legacy.admin import LegacyModelAdmin, LegacyModelForm, zero_date_display
from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from notes.mobile import mobile_notes_ensure
from notes.services import note_staff_save, notes_set_deleted, tags_parse
from uploads.services import UploadRefused, media_url, staff_photo_check

POPULAR_TAGS_IN_FILTER = 30


class TagListFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        popular = (
            LegacyNoteTag.objects.values_list("tag", flat=True)
            .annotate(uses=Count("note_id"))
            .order_by("-uses", "tag")[:POPULAR_TAGS_IN_FILTER]
        )
        return [(tag, tag) for tag in popular]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(tags__tag=self.value())
        return queryset


class HasPhotoFilter(admin.SimpleListFilter):
    title = "photo"
    parameter_name = "photo"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "With a photo"), ("no", "Without")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        with_photo = Q(photo_path__isnull=False) & ~Q(photo_path="")
        if self.value() == "yes":
            return queryset.filter(with_photo)
        if self.value() == "no":
            return queryset.exclude(with_photo)
        return queryset


class LegacyNoteForm(LegacyModelForm):
    tags = forms.CharField(
        required=False,
        help_text="Comma-separated; at most 64 characters each. Letter case is ignored, as on the site.",
    )

    class Meta:
        model = LegacyNote
        fields = ("user", "headline", "body", "visibility", "photo_path", "deleted")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["tags"].initial = ", ".join(tag.tag for tag in self.instance.tags.all())

    photo = forms.FileField(
        required=False,
        help_text="A JPEG, PNG, GIF, WebP or HEIC image; replaces the note's current photo in the apps.",
    )
    remove_photo = forms.BooleanField(required=False, label="Remove the photo")

    def clean_tags(self) -> list[str]:
        return tags_parse(self.cleaned_data["tags"])

    def clean_photo(self) -> UploadedFile | None:
        photo: UploadedFile | None = self.cleaned_data.get("photo")
        if photo is not None:
            try:
                staff_photo_check(file=photo)
            except UploadRefused as exc:
                raise forms.ValidationError(exc.message) from None
        return photo


@admin.register(LegacyNote)
class LegacyNoteAdmin(LegacyModelAdmin):
    form = LegacyNoteForm
    list_display = ("note_id", "headline", "owner", "visibility", "tag_list", "deleted", "created", "updated_at")
    list_display_links = ("note_id", "headline")
    list_filter = ("visibility", "deleted", TagListFilter, HasPhotoFilter)
    list_select_related = ("user",)
    search_fields = ("headline", "body", "user__username", "user__email", "=note_id")
    autocomplete_fields = ("user",)
    readonly_fields = ("note_id", "created", "updated_at", "photo_preview")
    fieldsets = (
        (None, {"fields": ("note_id", "user", "headline", "body", "tags")}),
        ("Publishing", {"fields": ("visibility", "deleted", "photo_preview", "photo", "remove_photo", "photo_path")}),
        ("History", {"fields": ("created", "updated_at")}),
    )
    actions = ("soft_delete", "restore")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegacyNote]:
        return super().get_queryset(request).prefetch_related("tags")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The site soft-deletes (deleted = 1); a removed row would vanish from its history too.
        return False

    def save_model(self, request: HttpRequest, obj: LegacyNote, form: Any, change: bool) -> None:
        tags = form.cleaned_data["tags"] if "tags" in form.changed_data or not change else None
        # The admin wraps this in a transaction, but `notes` is MyISAM: nothing here rolls back, and
        # the photo is sent to the bucket before any row of ours is written.
        note_staff_save(
            note=obj, tags=tags, photo=form.cleaned_data.get("photo"), remove_photo=form.cleaned_data["remove_photo"]
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were saved with the note (save_model); the note has no other relations to save.
        pass

    @admin.display(description="owner", ordering="user__username")
    def owner(self, note: LegacyNote) -> str:
        user = cast(LegacyUser | None, note.user)
        if user is None:
            # The site never enforced the reference: the user row may be gone.
            return format_html("<em>missing user #{}</em>", note.user_id)
        url = reverse("admin:legacy_legacyuser_change", args=[user.pk])
        return format_html('<a href="{}">{}</a>', url, user.username)

    @admin.display(description="photo in the apps")
    def photo_preview(self, note: LegacyNote) -> str:
        if note.pk is None:
            return "—"
        key = mobile_notes_ensure([note])[note.note_id].photo_key
        if not key:
            return "—"
        url = media_url(key=key, private=True)
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="" style="max-height:160px;max-width:240px"></a><br>{}',
            url,
            url,
            key,
        )

    @admin.display(description="tags")
    def tag_list(self, note: LegacyNote) -> str:
        return ", ".join(tag.tag for tag in note.tags.all())

    @admin.display(description="created", ordering="created_at")
    def created(self, note: LegacyNote) -> Any:
        return zero_date_display(note.created_at)

    @admin.action(description="Delete the selected notes (soft: the site hides them)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[LegacyNote]) -> None:
        changed = notes_set_deleted(notes=queryset.filter(deleted=False), deleted=True)
        self.message_user(request, f"{changed} note(s) deleted.", messages.SUCCESS)

    @admin.action(description="Restore the selected notes")
    def restore(self, request: HttpRequest, queryset: QuerySet[LegacyNote]) -> None:
        changed = notes_set_deleted(notes=queryset.filter(deleted=True), deleted=False)
        self.message_user(request, f"{changed} note(s) restored.", messages.SUCCESS)


from notes import admin_mirror  # noqa: E402, F401 - registers the Mirror status page
