"""Top-level URL map: the health probes, the admin for staff, the API, its OpenAPI document and docs page."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from notes.apis.reference import ReferenceCreateNoteApi
from notes.search.apis import ReferenceSearchNotesApi
from project import health
from project.schema_views import DocsView, SchemaApi

admin.site.site_header = "Lambridge"
admin.site.site_title = "Lambridge admin"
admin.site.index_title = "The site's users and notes"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("notes.urls")),
    path("api/v1/", include("uploads.urls")),
    # The reference architecture's route, for apps built against it.
    path("notes", ReferenceCreateNoteApi.as_view(), name="reference-create-note"),
    path("notes/search", ReferenceSearchNotesApi.as_view(), name="reference-search-notes"),
    path("api/schema/", SchemaApi.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
]

# JSON in the API's error shape on API paths, Django's HTML pages elsewhere (the admin).
handler400 = "project.error_pages.bad_request"
handler403 = "project.error_pages.permission_denied"
handler404 = "project.error_pages.page_not_found"
handler500 = "project.error_pages.server_error"
