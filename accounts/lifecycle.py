"""The registry of a user's data, by section: how each app erases it when an account is deleted and
exports it for GET /api/v1/me/export (SPEC §12).

Each app registers its own section in its AppConfig.ready(), so accounts never imports the apps
that hold a user's data (notes, uploads, datasets, push):

    register_user_data(section="datasets", order=40,
                       erase=datasets_delete_for_user, export=datasets_export_for_user)

`erase(*, site_user_id)` must be idempotent: a deletion interrupted during it runs it again.
`export(*, site_user_id)` returns an iterable of JSON-ready items, written as one array; it is
read lazily, so a generator keeps a large section out of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Eraser = Callable[..., object]
Exporter = Callable[..., Iterable[Any]]


@dataclass(frozen=True)
class UserDataSection:
    section: str
    order: int
    erase: Eraser | None
    export: Exporter | None


_sections: dict[str, UserDataSection] = {}


def register_user_data(
    *, section: str, order: int, erase: Eraser | None = None, export: Exporter | None = None
) -> None:
    """Declare one section of a user's data; registering a section again replaces it (reloads)."""
    if not section.isidentifier():
        raise ValueError(f"A section name is a plain identifier (it names a step and a JSON key): {section!r}")
    _sections[section] = UserDataSection(section=section, order=order, erase=erase, export=export)


def user_data_sections() -> list[UserDataSection]:
    """Every registered section, in erasing/exporting order."""
    return sorted(_sections.values(), key=lambda section: (section.order, section.section))
