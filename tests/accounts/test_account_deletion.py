"""Issue 17's acceptance for DELETE /api/v1/me, with real Cognito tokens from moto, real S3 and
DynamoDB in moto, the local CloudSearch server, MariaDB and php-cli: everything goes, the
bystander keeps everything, and a deletion interrupted after any step and retried ends the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from pytest_django import Settings as SettingsWrapper
from rest_framework.test import APIClient

from accounts.deletion import (
    STEP_COGNITO_SIGN_OUT,
    AccountDeletionIncomplete,
    account_deletion_run,
    account_deletion_start,
    account_deletion_steps,
    account_deletions_resume,
)
from accounts.models import AccountDeletion
from api.errors import SERVICE_UNAVAILABLE
from aws.clients import dynamodb_client, reset_clients
from devstack.aws_resources import DevstackResources
from tests.accounts.deletion_world import (
    Person,
    assert_fully_deleted,
    assert_untouched,
    cognito_user_exists,
    make_person,
    object_exists,
    site_row,
)
from tests.factories import site_note
from tests.fault_proxy import FaultProxy
from tests.notes.search_helpers import indexed_documents

pytestmark = pytest.mark.django_db

_plain = TypeDeserializer().deserialize


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    return tmp_path / "site"


@pytest.fixture
def doomed(aws_stack: DevstackResources, site_root: Path) -> Person:
    return make_person(aws_stack, site_root, "doomed")


@pytest.fixture
def bystander(aws_stack: DevstackResources, site_root: Path) -> Person:
    return make_person(aws_stack, site_root, "bystander")


def mirrored_note_ids(table: str, user_id: int) -> set[str]:
    items = dynamodb_client().scan(TableName=table, ConsistentRead=True)["Items"]
    return {_plain(item["noteId"]) for item in items if int(_plain(item["userId"])) == user_id}


def test_delete_me_deletes_everything_and_the_token_is_dead(
    aws_stack: DevstackResources,
    doomed: Person,
    bystander: Person,
    converge: Callable[[], None],
    cloudsearch_domain: Any,
    settings: SettingsWrapper,
) -> None:
    converge()
    assert mirrored_note_ids(settings.NOTES_TABLE, doomed.user_id) == set(doomed.note_ids)
    assert set(doomed.note_ids) <= set(indexed_documents(cloudsearch_domain))

    response = APIClient().delete("/api/v1/me", **doomed.bearer())

    assert response.status_code == 204, response.content
    assert_fully_deleted(aws_stack, doomed)
    # A repeat with the same token: 401, as for any dead token.
    again = APIClient().delete("/api/v1/me", **doomed.bearer())
    assert again.status_code == 401
    assert again["WWW-Authenticate"].startswith("Bearer")
    # The mirror drops the notes from DynamoDB and the index.
    converge()
    assert mirrored_note_ids(settings.NOTES_TABLE, doomed.user_id) == set()
    assert not set(doomed.note_ids) & set(indexed_documents(cloudsearch_domain))
    assert mirrored_note_ids(settings.NOTES_TABLE, bystander.user_id) == set(bystander.note_ids)
    assert_untouched(bystander)
    deletion = AccountDeletion.objects.get(site_user_id=doomed.user_id)
    assert deletion.finished_at is not None
    assert deletion.completed_steps == account_deletion_steps()
    assert deletion.requested_by == "self"


@pytest.mark.parametrize("steps_before_crash", range(1, 8))
def test_a_deletion_interrupted_after_any_step_and_retried_ends_the_same(
    aws_stack: DevstackResources, doomed: Person, bystander: Person, steps_before_crash: int
) -> None:
    steps = account_deletion_steps()
    assert steps_before_crash < len(steps)
    deletion = account_deletion_start(
        site_user_id=doomed.user_id, requested_by="self", cognito_username=doomed.tokens.user.username
    )
    # The run stops after this many steps, as a Lambda killed right after one would.
    stopped = account_deletion_run(deletion=deletion, max_steps=steps_before_crash)
    assert stopped.completed_steps == steps[:steps_before_crash]
    assert stopped.finished_at is None

    # The retry: the app repeats the request while its token still works; afterwards the scheduled
    # resume (the app then gets 401) finishes the job.
    repeat = APIClient().delete("/api/v1/me", **doomed.bearer())
    if repeat.status_code == 401:
        assert "site_user" in stopped.completed_steps or "cognito_delete" in stopped.completed_steps
        assert account_deletions_resume().finished >= 1
    else:
        assert repeat.status_code == 204, repeat.content

    assert_fully_deleted(aws_stack, doomed)
    assert_untouched(bystander)
    assert AccountDeletion.objects.get(site_user_id=doomed.user_id).completed_steps == steps


def test_cognito_unreachable_is_503_with_nothing_deleted_and_a_retry_succeeds(
    aws_stack: DevstackResources, doomed: Person, settings: SettingsWrapper
) -> None:
    working_endpoint = settings.AWS_ENDPOINT_URL
    me = APIClient().get("/api/v1/me", **doomed.bearer())  # keys fetched while AWS is up
    assert me.status_code == 200
    with FaultProxy(working_endpoint, fail=set(range(1, 1000))).running() as proxy:
        settings.AWS_ENDPOINT_URL = proxy.endpoint_url
        reset_clients()
        response = APIClient().delete("/api/v1/me", **doomed.bearer())
    settings.AWS_ENDPOINT_URL = working_endpoint
    reset_clients()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert site_row(doomed.user_id)["status"] == "active"
    assert cognito_user_exists(aws_stack, doomed.tokens.user.username)
    assert all(object_exists(key) for key in doomed.photo_keys)
    deletion = AccountDeletion.objects.get(site_user_id=doomed.user_id)
    assert deletion.completed_steps == []
    assert deletion.last_error.startswith(STEP_COGNITO_SIGN_OUT)

    retried = APIClient().delete("/api/v1/me", **doomed.bearer())

    assert retried.status_code == 204
    assert_fully_deleted(aws_stack, doomed)


def test_s3_unreachable_after_the_account_is_closed_is_finished_by_the_scheduled_resume(
    aws_stack: DevstackResources, doomed: Person, settings: SettingsWrapper
) -> None:
    deletion = account_deletion_start(
        site_user_id=doomed.user_id, requested_by="self", cognito_username=doomed.tokens.user.username
    )
    account_deletion_run(deletion=deletion, max_steps=5)  # up to and including the notes
    working_endpoint = settings.AWS_ENDPOINT_URL
    with FaultProxy(working_endpoint, fail=set(range(1, 1000))).running() as proxy:
        settings.AWS_ENDPOINT_URL = proxy.endpoint_url
        reset_clients()
        with pytest.raises(AccountDeletionIncomplete) as stopped:
            account_deletion_run(deletion=deletion)
        summary = account_deletions_resume()
    settings.AWS_ENDPOINT_URL = working_endpoint
    reset_clients()

    assert stopped.value.step == "note_photos"
    assert summary.incomplete == 1
    assert all(object_exists(key) for key in doomed.photo_keys)
    assert AccountDeletion.objects.get(pk=deletion.pk).last_error.startswith("note_photos")

    assert account_deletions_resume().finished == 1
    assert_fully_deleted(aws_stack, doomed)
    assert AccountDeletion.objects.get(pk=deletion.pk).last_error == ""


def test_a_site_photo_another_users_note_shows_too_is_kept(
    aws_stack: DevstackResources, doomed: Person, bystander: Person
) -> None:
    [legacy_key] = [key for key in doomed.photo_keys if key.startswith("legacy/")]
    # The site once gave the bystander a note with the same file.
    site_note(bystander.user_id, headline="Same picture", photo_path=legacy_key.removeprefix("legacy/"))
    shown = bystander.client.get("/api/v1/notes/?pageSize=100").json()["results"]
    assert legacy_key in {note["photoKey"] for note in shown}

    assert APIClient().delete("/api/v1/me", **doomed.bearer()).status_code == 204

    assert object_exists(legacy_key)
    assert [key for key in doomed.photo_keys if key != legacy_key and object_exists(key)] == []


def test_the_deletion_record_keeps_ids_only(doomed: Person) -> None:
    assert APIClient().delete("/api/v1/me", **doomed.bearer()).status_code == 204

    deletion = AccountDeletion.objects.get(site_user_id=doomed.user_id)
    assert deletion.cognito_username == ""
    assert deletion.cognito_sub == doomed.tokens.user.sub
    assert doomed.email not in str(AccountDeletion.objects.filter(pk=deletion.pk).values().get())
