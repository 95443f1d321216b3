"""Writes to notes, shared by the admin, the API and the event handlers."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from legacy.models import LegacyNote, LegacyNoteTag
from legacy.validators import validate_latin1

TAG_MAX_LENGTH = LegacyNoteTag._meta.get_field("tag").max_length or 64


def tags_parse(text: str) -> list[str]:
    """Tags from comma-separated text: trimmed, blanks dropped, duplicates (any case) once.

    The site's collation ignores case, so "Travel" and "travel" are the same tag there.
    """
    tags: dict[str, str] = {}
    for raw in text.split(","):
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(f"Tag '{tag[:20]}…' is longer than {TAG_MAX_LENGTH} characters.", code="max_length")
        validate_latin1(tag)
        tags.setdefault(tag.casefold(), tag)
    return list(tags.values())


def note_tags_set(*, note: LegacyNote, tags: Iterable[str]) -> None:
    """Make ``note``'s tags exactly ``tags``, touching only the rows that change."""
    wanted = list(dict.fromkeys(tags))
    current = list(LegacyNoteTag.objects.filter(note=note).values_list("tag", flat=True))
    removed = [tag for tag in current if tag not in wanted]
    added = [tag for tag in wanted if tag not in current]
    if removed:
        LegacyNoteTag.objects.filter(note=note, tag__in=removed).delete()
    if added:
        LegacyNoteTag.objects.bulk_create([LegacyNoteTag(note=note, tag=tag) for tag in added])
