"""Export and account deletion through the real Zappa handler, fed API Gateway REST events as
Lambda receives them: the streamed export arrives whole, DELETE answers 204, then the token is dead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings as SettingsWrapper
from zappa.handler import LambdaHandler

from devstack.aws_resources import DevstackResources
from tests.accounts.deletion_world import _site_users_removed_after_test, assert_fully_deleted, make_person
from tests.project.test_static_files_on_lambda import EXECUTE_API_HOST, rest_api_event, zappa_handler

__all__ = [
    "_site_users_removed_after_test",
    "zappa_handler",
]  # the fixture, shared with the other in-process handler tests

# Zappa's WSGI path closes connections after each request: no test transaction can stay open.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_site_users_removed_after_test")]


def api_event(method: str, path: str, token: str) -> dict[str, Any]:
    event = rest_api_event(host=EXECUTE_API_HOST, path=path, stage_in_path=True)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    for name, value in {"Authorization": f"Bearer {token}", "Accept": "application/json"}.items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    return event


def test_export_then_delete_through_the_handler(
    zappa_handler: LambdaHandler, aws_stack: DevstackResources, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.ALLOWED_HOSTS = [EXECUTE_API_HOST, "testserver"]  # the test client builds the data
    person = make_person(aws_stack, tmp_path, "lambda")
    token = person.tokens.id_token

    exported = zappa_handler.handler(api_event("GET", "/api/v1/me/export", token), None)

    assert exported["statusCode"] == 200, exported
    document = json.loads(exported["body"])
    assert document["profile"]["userId"] == person.user_id
    assert sorted(note["noteId"] for note in document["notes"]) == person.note_ids
    assert [dataset["name"] for dataset in document["datasets"]] == ["settings"]

    deleted = zappa_handler.handler(api_event("DELETE", "/api/v1/me", token), None)
    after = zappa_handler.handler(api_event("GET", "/api/v1/me", token), None)

    assert deleted["statusCode"] == 204, deleted
    assert after["statusCode"] == 401
    assert json.loads(after["body"])["error"]["code"] == "account_deleted"
    assert_fully_deleted(aws_stack, person)
