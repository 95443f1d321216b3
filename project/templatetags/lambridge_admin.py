"""Template tags of the admin pages: the dashboard's figures and the admin's one date format."""

from __future__ import annotations

from typing import Any

from django import template

from legacy.admin import admin_datetime

register = template.Library()


@register.simple_tag
def lambridge_dashboard() -> Any:
    """The admin index's dashboard figures (project/dashboard.py)."""
    from project.dashboard import dashboard_summary

    return dashboard_summary()


@register.filter
def admin_date(value: Any) -> str:
    """A date and time in the format every admin page uses."""
    return admin_datetime(value)
