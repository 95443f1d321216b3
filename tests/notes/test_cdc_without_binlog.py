"""On a server without the binlog (the shared test server), CDC refuses with what to change."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from notes.cdc import CdcUnavailable, cdc_server_check

pytestmark = pytest.mark.django_db


def test_a_server_without_the_binlog_is_refused_with_the_fix() -> None:
    with pytest.raises(CdcUnavailable, match="binary log is off"):
        cdc_server_check()


def test_the_command_says_so_instead_of_a_traceback() -> None:
    with pytest.raises(CommandError, match="CDC_ENABLED"):
        call_command("cdc_follow", "--seconds", "1")
