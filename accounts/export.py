"""GET /api/v1/me/export: everything Lambridge holds about a user as one JSON document, generated
in chunks (SPEC §12).

The document is written as it is read: the profile, then each registered section
(accounts/lifecycle.py) as an array whose items come from the section's iterator, so a user with
100k notes costs one batch of notes in memory, not the whole document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from accounts.lifecycle import user_data_sections
from accounts.models import CognitoIdentity
from legacy.models import LegacyUser

# Text is handed to the server in pieces of about this size: few enough writes, little memory.
CHUNK_CHARACTERS: Final = 64 * 1024
EXPORT_FORMAT_VERSION: Final = 1


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def account_profile_export(*, site_user: LegacyUser) -> dict[str, Any]:
    """The profile part: the site's row (never its password hash) and the Cognito link."""
    link = CognitoIdentity.objects.filter(site_user_id=site_user.user_id).first()
    return {
        "userId": site_user.user_id,
        "email": site_user.email,
        "username": site_user.username,
        "displayName": site_user.display_name,
        "status": site_user.status,
        "isAdmin": bool(site_user.is_admin),
        "createdAt": _iso(site_user.created_at),
        "lastLogin": _iso(site_user.last_login),
        "cognito": {"sub": link.sub, "linkedAt": _iso(link.created_at)} if link is not None else None,
    }


def _pieces(site_user: LegacyUser) -> Iterator[str]:
    yield '{"format":' + _dumps(EXPORT_FORMAT_VERSION)
    yield ',"exportedAt":' + _dumps(_iso(timezone.now()))
    yield ',"profile":' + _dumps(account_profile_export(site_user=site_user))
    for section in user_data_sections():
        if section.export is None:
            continue
        yield f",{_dumps(section.section)}:["
        items: Iterable[Any] = section.export(site_user_id=site_user.user_id)
        for index, item in enumerate(items):
            yield ("," if index else "") + _dumps(item)
        yield "]"
    yield "}"


def account_export_chunks(*, site_user: LegacyUser) -> Iterator[bytes]:
    """The export document of ``site_user`` as UTF-8 chunks of about CHUNK_CHARACTERS."""
    buffer: list[str] = []
    size = 0
    for piece in _pieces(site_user):
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARACTERS:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()
