"""Routes of the accounts room under /api/v1/."""

from __future__ import annotations

from django.urls import path

from accounts.apis import MeApi, MeExportApi

urlpatterns = [
    path("me", MeApi.as_view(), name="me"),
    path("me/export", MeExportApi.as_view(), name="me-export"),
]
