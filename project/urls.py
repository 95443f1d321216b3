"""Top-level URL map: the admin for staff and the health probes (the API joins in later issues)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from project import health

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
]
