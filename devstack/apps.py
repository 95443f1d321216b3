"""App config of the local stack (its management commands)."""

from __future__ import annotations

from django.apps import AppConfig


class DevstackConfig(AppConfig):
    name = "devstack"
    verbose_name = "Local stack"
