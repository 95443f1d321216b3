"""Routes of the uploads room under /api/v1/."""

from __future__ import annotations

from django.urls import path

from uploads.apis import UploadCreateApi

urlpatterns = [
    path("uploads", UploadCreateApi.as_view(), name="upload-create"),
]
