"""Staff delete accounts from the site users' list: a confirmation page first, then the same
deletion as DELETE /api/v1/me (the Cognito user found by its sub, since staff hold no token)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.deletion import account_deletion_steps
from accounts.models import AccountDeletion
from devstack.aws_resources import DevstackResources
from tests.accounts.deletion_world import assert_fully_deleted, assert_untouched, make_person, site_row

pytestmark = pytest.mark.django_db


def test_staff_confirm_then_the_account_is_deleted(
    staff_client: Client, aws_stack: DevstackResources, tmp_path: Path
) -> None:
    doomed = make_person(aws_stack, tmp_path, "doomed")
    bystander = make_person(aws_stack, tmp_path, "bystander")
    changelist = reverse("admin:legacy_legacyuser_changelist")
    chosen = {"action": "delete_accounts", "_selected_action": [doomed.user_id]}
    username = site_row(doomed.user_id)["username"]

    confirmation = staff_client.post(changelist, chosen)

    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert username in page
    assert "cannot be undone" in page
    assert "4 note(s)" in page
    assert site_row(doomed.user_id)["status"] == "active"  # nothing happens before the confirmation
    assert not AccountDeletion.objects.exists()

    done = staff_client.post(changelist, chosen | {"confirm": "yes"}, follow=True)

    assert done.redirect_chain[-1][1] == 302
    assert [str(message) for message in done.context["messages"]] == ["1 account(s) deleted."]
    assert_fully_deleted(aws_stack, doomed)
    assert_untouched(bystander)
    deletion = AccountDeletion.objects.get(site_user_id=doomed.user_id)
    assert deletion.requested_by == "staff:staff"
    assert deletion.completed_steps == account_deletion_steps()
    record_page = staff_client.get(reverse("admin:accounts_accountdeletion_change", args=[deletion.pk]))
    assert record_page.status_code == 200
