"""`manage.py devstack_aws` against a real moto server, and its refusal to touch real AWS."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pytest_django import Settings as SettingsWrapper

from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port


def test_refuses_without_aws_endpoint_url(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = ""

    with pytest.raises(CommandError, match="AWS_ENDPOINT_URL is empty"):
        call_command("devstack_aws")


def test_prints_the_resources_and_the_environment(aws_stack: DevstackResources) -> None:
    out = StringIO()

    call_command("devstack_aws", stdout=out)

    output = out.getvalue()
    assert aws_stack.user_pool_id in output
    assert aws_stack.notes_stream_arn in output
    assert f"COGNITO_USER_POOL_ID={aws_stack.user_pool_id}\n" in output
    assert f"COGNITO_APP_CLIENT_IDS={aws_stack.app_client_id}\n" in output
    assert f"AWS_ENDPOINT_URL={aws_stack.endpoint_url}\n" in output


def test_env_only_prints_nothing_but_key_value_lines(aws_stack: DevstackResources) -> None:
    out = StringIO()

    call_command("devstack_aws", "--env-only", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines
    assert all("=" in line and " " not in line.split("=", 1)[0] for line in lines)
    assert f"NOTES_TABLE={aws_stack.notes_table}" in lines


def test_says_so_when_no_emulator_answers(settings: SettingsWrapper) -> None:
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(CommandError, match="No AWS emulator answers"):
        call_command("devstack_aws")
