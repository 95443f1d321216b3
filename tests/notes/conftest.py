"""Fixtures of the notes tests: after-commit work run on demand, AWS made unreachable, and a Notes
table or the mirror's scheduled work of the test's own (members are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper

from aws.clients import reset_clients
from devstack.aws_resources import DevstackResources
from devstack.moto_server import free_port
from tests.notes.helpers import own_notes_table


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Runs the after-commit sends that the test's own transaction would otherwise hold back."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def aws_down(settings: SettingsWrapper, aws_stack: DevstackResources) -> Iterator[Callable[[], None]]:
    """Every AWS client points at a closed port until the returned function brings AWS back."""
    working = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    reset_clients()

    def back() -> None:
        settings.AWS_ENDPOINT_URL = working
        reset_clients()

    yield back
    back()


@pytest.fixture
def table(aws_stack: DevstackResources, settings: SettingsWrapper) -> str:
    """A Notes table of the test's own, so its contents are only this test's notes."""
    return own_notes_table(settings)
