"""`manage.py devstack_aws`: create the local stack's AWS resources in the emulator and print their settings."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devstack.aws_resources import NO_ENDPOINT_MESSAGE, ensure_resources, local_environment


class Command(BaseCommand):
    help = (
        "Find or create the bucket, the Notes table and stream, and the Cognito pool, app client and "
        "staff group in the emulator at AWS_ENDPOINT_URL, then print the environment that uses them. "
        "Refuses to run without AWS_ENDPOINT_URL (never touches a real AWS account)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--env-only",
            action="store_true",
            help="Print only the KEY=value lines (for a .env file or `export $(...)`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.AWS_ENDPOINT_URL:
            raise CommandError(NO_ENDPOINT_MESSAGE)
        try:
            resources = ensure_resources()
        except (EndpointConnectionError, ReadTimeoutError) as exc:
            raise CommandError(
                f"No AWS emulator answers at {settings.AWS_ENDPOINT_URL} ({exc}). "
                "Start one with: python -m devstack.moto_server"
            ) from exc
        environment = local_environment(resources)
        if not options["env_only"]:
            self.stdout.write(self.style.SUCCESS(f"AWS resources ready in {resources.endpoint_url}:"))
            self.stdout.write(f"  S3 bucket          {resources.bucket}")
            self.stdout.write(f"  DynamoDB table     {resources.notes_table}")
            self.stdout.write(f"  its stream         {resources.notes_stream_arn}")
            self.stdout.write(f"  Cognito user pool  {resources.user_pool_id}")
            self.stdout.write(f"  app client         {resources.app_client_id}")
            self.stdout.write("")
            self.stdout.write("Environment for processes that use them:")
        for name, value in environment.items():
            self.stdout.write(f"{name}={value}")
