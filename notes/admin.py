"""The staff admin over the site's notes and their tags."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from legacy.admin import LegacyModelAdmin, LegacyModelForm, admin_datetime, zero_date_display
from legacy.models import LegacyNote, LegacyNoteTag, LegacyUser
from notes.mobile import mobile_notes_derive, note_ids_for_uuids
from notes.services import note_staff_save, notes_set_deleted, tags_parse
from uploads.services import MediaStorageUnavailable, UploadRefused, media_url, staff_photo_check

# Shown when S3 cannot take a staff photo: an edit stores the photo before anything else, so it
# changed nothing; a new note is saved first (its id names the photo's key) and keeps no photo.
PHOTO_STORAGE_UNAVAILABLE_MESSAGE = (
    "The photo could not be stored: photo storage is unreachable right now. Nothing of this edit was"
    " saved (a new note was saved without its photo). Try again in a minute."
)

POPULAR_TAGS_IN_FILTER = 30
# Headlines are cut in the list so that it fits a 1400 px window; the change page shows them whole.
LIST_HEADLINE_CHARS = 60
PREVIEW_STYLE = "max-height:160px;max-width:240px;display:block"


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
        if "photo_path" in self.fields:
            self.fields["photo_path"].label = "Photo on the site (photo_path)"
            self.fields[
                "photo_path"
            ].help_text = (
                "Path under the PHP site's uploads folder, e.g. uploads/2014/03/beach.jpg: the site shows this one."
            )

    photo = forms.FileField(
        required=False,
        label="New photo for the apps",
        help_text="A JPEG, PNG, GIF, WebP or HEIC image; replaces the note's photo in the apps (not on the site).",
    )
    remove_photo = forms.BooleanField(required=False, label="Remove the photo from the apps")

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
    list_display = ("note_id", "headline_short", "owner", "visibility", "tag_list", "deleted", "created", "updated")
    list_display_links = ("note_id", "headline_short")
    list_filter = ("visibility", "deleted", TagListFilter, HasPhotoFilter)
    list_select_related = ("user",)
    search_fields = ("headline", "body", "user__username", "user__email", "=note_id")
    search_help_text = "Headline, text, owner's username or email, the site's note id, or the apps' noteId."
    autocomplete_fields = ("user",)
    readonly_fields = ("note_id", "app_note_id", "app_version", "created", "updated", "photos")
    actions = ("soft_delete", "restore")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegacyNote]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            # A new note has no ids, version or history yet (they would only show placeholders).
            return (
                (None, {"fields": ("user", "headline", "body", "tags")}),
                ("Publishing", {"fields": ("visibility", "deleted")}),
                ("Photo", {"fields": ("photo", "photo_path")}),
            )
        return (
            (None, {"fields": ("note_id", "app_note_id", "app_version", "user", "headline", "body", "tags")}),
            ("Publishing", {"fields": ("visibility", "deleted")}),
            ("Photo", {"fields": ("photos", "photo", "remove_photo", "photo_path")}),
            ("History", {"fields": ("created", "updated")}),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LegacyNote], search_term: str
    ) -> tuple[QuerySet[LegacyNote], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            app_note_id = uuid.UUID(search_term.strip())
        except ValueError:
            return results, may_have_duplicates
        # The apps' noteId lives in our own table (perhaps another database) or is derived from the
        # site's note id: found by id, then joined.
        note_ids, _rows = note_ids_for_uuids([app_note_id])
        return results | queryset.filter(note_id__in=list(note_ids.values())), may_have_duplicates

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The site soft-deletes (deleted = 1); a removed row would vanish from its history too.
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Without the admin's own transaction around the whole form: the note is written through the
        # services, which take the note's lock and their own (durable) transaction, and send the
        # photo to the bucket before either. `notes` is MyISAM, so that transaction protected nothing.
        try:
            response: HttpResponse = self._changeform_view(  # type: ignore[attr-defined]
                request, object_id, form_url, extra_context
            )
        except MediaStorageUnavailable:
            # A clear message on the same page instead of a server error.
            self.message_user(request, PHOTO_STORAGE_UNAVAILABLE_MESSAGE, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return response

    def save_model(self, request: HttpRequest, obj: LegacyNote, form: Any, change: bool) -> None:
        tags = form.cleaned_data["tags"] if "tags" in form.changed_data or not change else None
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

    @admin.display(description="noteId (apps)")
    def app_note_id(self, note: LegacyNote) -> str:
        return str(mobile_notes_derive([note])[note.note_id].uuid)

    @admin.display(description="version (apps)")
    def app_version(self, note: LegacyNote) -> int:
        return mobile_notes_derive([note])[note.note_id].version

    @admin.display(description="photos")
    def photos(self, note: LegacyNote) -> str:
        """The site's photo and the apps' photo side by side, saying which is which."""
        key = mobile_notes_derive([note])[note.note_id].photo_key
        site_path = note.photo_path or ""
        if site_path:
            site_url = f"{settings.SITE_URL.rstrip('/')}/{site_path.lstrip('/')}" if settings.SITE_URL else ""
            site_cell = (
                _photo_cell(url=site_url, caption=site_path)
                if site_url
                else format_html(
                    "{}<br><small>No preview: set SITE_URL to the PHP site's address to see it here.</small>", site_path
                )
            )
        else:
            site_cell = format_html("{}", "No photo.")
        if key:
            apps_cell = _photo_cell(url=media_url(key=key, private=True), caption=key)
        elif site_path:
            apps_cell = format_html(
                "{}<br><small>{}</small>",
                "No photo in the apps yet.",
                "The site's photo reaches the apps once `manage.py import_legacy_media` has copied it to S3.",
            )
        else:
            apps_cell = format_html("{}", "No photo.")
        rows = (
            ("On the site (photo_path) — the PHP site shows this one", site_cell),
            ("In the apps (S3) — the iOS and Android apps show this one", apps_cell),
        )
        return format_html(
            '<table class="lambridge-photos">{}</table>',
            format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows),
        )

    @admin.display(description="tags")
    def tag_list(self, note: LegacyNote) -> str:
        return ", ".join(tag.tag for tag in note.tags.all())

    @admin.display(description="headline", ordering="headline")
    def headline_short(self, note: LegacyNote) -> str:
        return Truncator(note.headline).chars(LIST_HEADLINE_CHARS)

    @admin.display(description="created", ordering="created_at")
    def created(self, note: LegacyNote) -> Any:
        return zero_date_display(note.created_at)

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, note: LegacyNote) -> str:
        return admin_datetime(note.updated_at)

    @admin.action(description="Delete the selected notes (soft: the site hides them)")
    def soft_delete(self, request: HttpRequest, queryset: QuerySet[LegacyNote]) -> None:
        changed = notes_set_deleted(notes=queryset.filter(deleted=False), deleted=True)
        self.message_user(request, f"{changed} note(s) deleted.", messages.SUCCESS)

    @admin.action(description="Restore the selected notes")
    def restore(self, request: HttpRequest, queryset: QuerySet[LegacyNote]) -> None:
        changed = notes_set_deleted(notes=queryset.filter(deleted=True), deleted=False)
        self.message_user(request, f"{changed} note(s) restored.", messages.SUCCESS)


def _photo_cell(*, url: str, caption: str) -> str:
    """A preview that says so, visibly, when the image does not load (moved, not public, S3 down)."""
    return format_html(
        '<a href="{}" target="_blank"><img src="{}" alt="" style="{}" data-preview'
        " onerror=\"this.style.display='none';this.parentNode.nextElementSibling.style.display='block'\"></a>"
        # Not the `hidden` attribute: the admin's .errornote style would show it anyway.
        '<p class="errornote" style="display:none">The preview did not load from {}.</p>{}',
        url,
        url,
        PREVIEW_STYLE,
        url,
        caption,
    )


from notes import admin_mirror  # noqa: E402, F401 - registers the Mirror status page
