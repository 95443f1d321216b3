"""The infra app: holds the template and the `infra_apply` management command."""

from __future__ import annotations

from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "infra"
    verbose_name = "Infrastructure"
