"""Staff manage API keys and see which Cognito users are linked to which site accounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiKey, CognitoIdentity
from accounts.services import api_key_issue, api_key_revoke


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
