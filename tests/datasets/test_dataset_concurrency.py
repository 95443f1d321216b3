"""Two devices of one user pushing to one dataset at the same moment, on real MariaDB (InnoDB row
locks): no update is lost; the loser gets 409 with the winner's records and succeeds after merging."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from rest_framework.test import APIClient

from datasets.errors import DATASET_CONFLICT
from devstack.aws_resources import DevstackResources
from tests.accounts.cognito_helpers import cognito_tokens, unique_email
from tests.accounts.deletion_world import _site_users_removed_after_test
from tests.factories import site_user

__all__ = ["_site_users_removed_after_test"]  # the fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_site_users_removed_after_test")]

ROUNDS = 6


def device(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def pushes_at_once(*pushes: tuple[APIClient, int, list[dict[str, Any]]]) -> list[Any]:
    """Each (device, syncCount, records) pushed from its own thread, released together; the answers in order."""
    start = threading.Barrier(len(pushes))
    results: list[Any] = [None] * len(pushes)
    failures: list[BaseException] = []

    def run(index: int, client: APIClient, sync_count: int, records: list[dict[str, Any]]) -> None:
        try:
            start.wait()
            results[index] = push(client, sync_count, records)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, *arguments)) for index, arguments in enumerate(pushes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return results


@pytest.fixture
def two_devices(aws_stack: DevstackResources) -> tuple[APIClient, APIClient]:
    email = unique_email("twodevices")
    site_user(email=email)
    tokens = cognito_tokens(aws_stack, email=email)
    phone, tablet = device(tokens.id_token), device(tokens.access_token)
    assert phone.get("/api/v1/me").status_code == 200  # linked once, before the race
    return phone, tablet


def push(client: APIClient, sync_count: int, records: list[dict[str, Any]]) -> Any:
    return client.patch("/api/v1/datasets/shared", {"syncCount": sync_count, "records": records}, format="json")


def test_concurrent_pushes_of_one_key_one_wins_the_other_gets_409_then_merges(
    two_devices: tuple[APIClient, APIClient],
) -> None:
    phone, tablet = two_devices
    assert push(phone, 0, [{"key": "note", "value": "start", "syncCount": 0}]).status_code == 200
    sync_count = 1
    for round_number in range(ROUNDS):
        phone_value, tablet_value = f"phone-{round_number}", f"tablet-{round_number}"
        answers = pushes_at_once(
            (phone, sync_count, [{"key": "note", "value": phone_value}]),
            (tablet, sync_count, [{"key": "note", "value": tablet_value}]),
        )

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], [answer.content for answer in answers]
        winner = next(answer for answer in answers if answer.status_code == 200)
        loser_index = next(index for index, answer in enumerate(answers) if answer.status_code == 409)
        conflict = answers[loser_index].json()
        assert conflict["error"]["code"] == DATASET_CONFLICT
        # The loser sees exactly what the winner wrote, with its count.
        assert conflict["records"] == winner.json()["records"]
        assert conflict["syncCount"] == sync_count + 1
        # It merges and pushes again on the server's count: accepted.
        loser = (phone, tablet)[loser_index]
        merged_value = f"{winner.json()['records'][0]['value']}+{(phone_value, tablet_value)[loser_index]}"
        retried = push(loser, conflict["syncCount"], [{"key": "note", "value": merged_value}])
        assert retried.status_code == 200, retried.content
        sync_count = retried.json()["syncCount"]
        assert sync_count == conflict["syncCount"] + 1
        current = phone.get("/api/v1/datasets/shared").json()
        assert current["records"] == [{"key": "note", "value": merged_value, "syncCount": sync_count}]


def test_concurrent_pushes_of_different_keys_both_land(two_devices: tuple[APIClient, APIClient]) -> None:
    phone, tablet = two_devices
    for round_number in range(ROUNDS):
        base = phone.get("/api/v1/datasets/shared")
        sync_count = base.json()["syncCount"] if base.status_code == 200 else 0
        answers = pushes_at_once(
            (phone, sync_count, [{"key": f"phone-{round_number}", "value": "p"}]),
            (tablet, sync_count, [{"key": f"tablet-{round_number}", "value": "t"}]),
        )

        assert [answer.status_code for answer in answers] == [200, 200], [answer.content for answer in answers]
        # Each push got its own count: none overwrote the other's.
        assert sorted(answer.json()["syncCount"] for answer in answers) == [sync_count + 1, sync_count + 2]
    everything = phone.get("/api/v1/datasets/shared").json()
    assert everything["syncCount"] == 2 * ROUNDS
    assert len(everything["records"]) == 2 * ROUNDS
    listing = tablet.get("/api/v1/datasets/").json()
    assert listing[0]["recordCount"] == 2 * ROUNDS
