"""App config of the legacy bridge."""

from __future__ import annotations

from django.apps import AppConfig


class LegacyConfig(AppConfig):
    name = "legacy"
    verbose_name = "The site (legacy tables)"
