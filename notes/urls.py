"""Routes of the notes room under /api/v1/."""

from __future__ import annotations

urlpatterns: list[object] = []
