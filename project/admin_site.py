"""The admin site: Django's, with "View site" pointing at the PHP site (SITE_URL) or hidden.

Lambridge has no page at `/` (the API and the admin only), so Django's default link was a 404.
Installed through LambridgeAdminConfig in place of `django.contrib.admin`; `admin.site` is this.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class LambridgeAdminSite(AdminSite):
    # The side menu took 300 px from every list: the site users list overflowed a 1400 px window.
    # The index and the breadcrumbs still reach every model.
    enable_nav_sidebar = False

    @property
    def site_url(self) -> str | None:  # type: ignore[override]
        """Read at every request, so a change of SITE_URL (or a test's override) shows at once."""
        return settings.SITE_URL or None


class LambridgeAdminConfig(AdminConfig):
    default_site = "project.admin_site.LambridgeAdminSite"
