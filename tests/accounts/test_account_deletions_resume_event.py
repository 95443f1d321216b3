"""The scheduled event that finishes interrupted account deletions, fed to the real Zappa handler
as EventBridge sends it (the rule named after the function in zappa_settings.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zappa.handler import LambdaHandler

from accounts.deletion import account_deletion_run, account_deletion_start
from accounts.models import AccountDeletion
from artifact.runtime import scheduled_event
from devstack.aws_resources import DevstackResources
from tests.accounts.deletion_world import (
    _site_users_removed_after_test,
    assert_fully_deleted,
    make_person,
    object_exists,
)
from tests.project.test_static_files_on_lambda import zappa_handler

__all__ = [
    "_site_users_removed_after_test",
    "zappa_handler",
]  # the fixture, shared with the other in-process handler tests

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_site_users_removed_after_test")]

EVENT_FUNCTION = "accounts.events.account_deletions_resume_event"


def test_the_event_is_scheduled_in_every_stage() -> None:
    settings = json.loads((Path(__file__).resolve().parents[2] / "zappa_settings.json").read_text())
    functions = [event["function"] for event in settings["dev"]["events"]]
    assert EVENT_FUNCTION in functions


def test_the_schedule_finishes_a_deletion_left_after_the_account_was_closed(
    zappa_handler: LambdaHandler, aws_stack: DevstackResources, tmp_path: Path
) -> None:
    doomed = make_person(aws_stack, tmp_path, "doomed")
    deletion = account_deletion_start(
        site_user_id=doomed.user_id, requested_by="self", cognito_username=doomed.tokens.user.username
    )
    account_deletion_run(deletion=deletion, max_steps=4)  # closed; its notes, photos, datasets left
    assert all(object_exists(key) for key in doomed.photo_keys)

    summary = zappa_handler.handler(scheduled_event(EVENT_FUNCTION), None)

    assert summary == {"finished": 1, "incomplete": 0, "busy": 0}
    assert AccountDeletion.objects.get(pk=deletion.pk).finished_at is not None
    assert_fully_deleted(aws_stack, doomed)
