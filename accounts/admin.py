"""Staff manage API keys, see which Cognito users are linked to which site accounts, and delete
accounts (SPEC §12) from the site users' list, after a confirmation page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.deletion import AccountDeletionBusy, AccountDeletionIncomplete, account_delete, account_is_closed
from accounts.models import AccountDeletion, ApiKey, CognitoIdentity
from accounts.services import api_key_issue, api_key_revoke
from api.readonly_admin import ReadOnlyAdmin
from legacy.admin import LegacyUserAdmin
from legacy.models import LegacyUser


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "revoked_at")
    actions = ("revoke",)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        key = api_key_issue(api_key=obj)
        # The only time the key is ever shown: only its digest is stored.
        messages.warning(request, f"New API key for {obj.name}: {key} — copy it now, it is not shown again.")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the history stays

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)


@admin.register(CognitoIdentity)
class CognitoIdentityAdmin(admin.ModelAdmin):
    list_display = ("sub", "site_user_id", "linked_by", "created_at")
    list_filter = ("linked_by",)
    search_fields = ("sub", "=site_user_id")
    readonly_fields = ("sub", "site_user", "linked_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are made when a Cognito user first calls the API


# The site users' admin lives in legacy/, which imports nothing of ours: the deletion action is
# added here, on a subclass that takes its place.
admin.site.unregister(LegacyUser)


@admin.register(LegacyUser)
class SiteUserAdmin(LegacyUserAdmin):
    actions = (*LegacyUserAdmin.actions, "delete_accounts")  # type: ignore[assignment]  # a longer tuple

    @admin.action(description="Delete the selected accounts for good…")
    def delete_accounts(self, request: HttpRequest, queryset: QuerySet[LegacyUser]) -> TemplateResponse | None:
        if request.POST.get("confirm") != "yes":
            users = queryset.annotate(live_notes=Count("notes", filter=Q(notes__deleted=False))).order_by("user_id")
            return TemplateResponse(
                request,
                "admin/accounts/confirm_account_deletion.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "users": list(users),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "title": "Delete accounts",
                },
            )
        requested_by = f"staff:{request.user.get_username()}"
        finished = closed = failed = 0
        for user_id in queryset.values_list("user_id", flat=True):
            try:
                account_delete(site_user_id=user_id, requested_by=requested_by)
                finished += 1
            except (AccountDeletionIncomplete, AccountDeletionBusy) as exc:
                if account_is_closed(exc.deletion):
                    closed += 1
                else:
                    failed += 1
        if finished:
            self.message_user(request, f"{finished} account(s) deleted.", messages.SUCCESS)
        if closed:
            self.message_user(
                request,
                f"{closed} account(s) closed; the rest of their data is deleted by the scheduled resume shortly.",
                messages.WARNING,
            )
        if failed:
            self.message_user(
                request,
                f"{failed} account(s) could not be deleted right now (Cognito unreachable); nothing of them "
                "was deleted. Try again in a minute.",
                messages.ERROR,
            )
        return None


@admin.register(AccountDeletion)
class AccountDeletionAdmin(ReadOnlyAdmin):
    """Who deleted which account when, and how far each deletion got (read-only)."""

    list_display = ("site_user_id", "requested_by", "requested_at", "finished_at", "attempts", "last_error")
    list_filter = (("finished_at", admin.EmptyFieldListFilter),)
    search_fields = ("=site_user_id", "cognito_sub")
    readonly_fields = (
        "site_user_id",
        "cognito_sub",
        "cognito_username",
        "requested_by",
        "requested_at",
        "completed_steps",
        "attempts",
        "lease_until",
        "last_error",
        "finished_at",
    )
