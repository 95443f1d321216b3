"""Routes of the datasets room under /api/v1/."""

from __future__ import annotations

from django.urls import path

from datasets.apis import DatasetDetailApi, DatasetListApi

urlpatterns = [
    path("datasets", DatasetListApi.as_view(), name="dataset-list"),
    # Any name reaches the view, which answers 400 for one outside the rules (not a bare 404).
    path("datasets/<str:name>", DatasetDetailApi.as_view(), name="dataset-detail"),
]
