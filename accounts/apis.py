"""`/api/v1/me`: the caller's own site profile, its deletion and its export (SPEC §2, §12)."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.deletion import AccountDeletionBusy, AccountDeletionIncomplete, account_delete, account_is_closed
from accounts.export import ExportStorageUnavailable, account_export_spooled, account_export_upload, export_filename
from accounts.identity import SiteCaller, caller_site_user
from accounts.services import site_user_update_display_name
from api.errors import SERVICE_UNAVAILABLE, DependencyUnavailable, error_body
from api.fields import StrictCharField
from api.openapi import error_responses
from legacy.models import LegacyUser
from legacy.validators import validate_utf8mb3

logger = logging.getLogger(__name__)

# Seconds an app waits before repeating a deletion that could not reach Cognito.
DELETION_RETRY_AFTER_SECONDS = 30
# ... and an export too large to answer directly that could not be put in the media bucket.
EXPORT_RETRY_AFTER_SECONDS = 30
EXPORT_UNAVAILABLE_MESSAGE = "The export could not be prepared for download right now; try again shortly."

DISPLAY_NAME_MAX_LENGTH = 100


class MeOutputSerializer(serializers.Serializer[LegacyUser]):
    userId = serializers.IntegerField(source="user_id")
    email = serializers.CharField()
    username = serializers.CharField()
    displayName = serializers.CharField(source="display_name", allow_null=True)
    status = serializers.CharField()
    isAdmin = serializers.BooleanField(source="is_admin")
    # None for the site's oldest accounts, whose sign-up date is the zero date.
    createdAt = serializers.DateTimeField(source="created_at", allow_null=True)


class MeUpdateInputSerializer(serializers.Serializer[Any]):
    displayName = StrictCharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, allow_null=True, allow_blank=False, validators=[validate_utf8mb3]
    )


class MeApi(APIView):
    """The signed-in caller's profile from the site's `users` table."""

    @extend_schema(
        operation_id="me_get",
        summary="The caller's profile",
        responses={200: MeOutputSerializer},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(caller_site_user(request)).data)

    @extend_schema(
        operation_id="me_update",
        summary="Change the caller's display name",
        description="`displayName` is required; null clears it. The site stores it in a 3-byte utf8 "
        "column: emoji are refused (`validation_error`).",
        request=MeUpdateInputSerializer,
        responses={200: MeOutputSerializer, **error_responses(400)},
        tags=["me"],
    )
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = site_user_update_display_name(
            user=caller_site_user(request), display_name=serializer.validated_data["displayName"]
        )
        return Response(MeOutputSerializer(user).data)

    @extend_schema(
        operation_id="me_delete",
        summary="Delete the caller's account",
        description="Deletes the account for good (App Store guideline 5.1.1(v)): the Cognito user is signed "
        "out everywhere and deleted, the site account is closed (the site refuses its login), and the "
        "caller's notes, photos, devices and datasets are deleted. 204 once the account is closed; from "
        "then on every token of the account gets 401 `account_deleted`. If a later part fails (e.g. S3 "
        "briefly unreachable) the server finishes it on its own. 503 (retry) when Cognito cannot be "
        "reached: nothing is closed yet.",
        request=None,
        responses={204: None},
        tags=["me"],
    )
    def delete(self, request: Request) -> Response:
        caller = cast(SiteCaller, request.user)
        try:
            account_delete(
                site_user_id=caller.site_user.user_id,
                requested_by="self",
                cognito_username=caller.claims.username or "",
            )
        except (AccountDeletionIncomplete, AccountDeletionBusy) as exc:
            if not account_is_closed(exc.deletion):
                response = Response(
                    error_body(
                        SERVICE_UNAVAILABLE,
                        "Your account could not be deleted right now; nothing was deleted yet. Try again shortly.",
                    ),
                    status=status.HTTP_503_SERVICE_UNAVAILABLE,
                )
                response["Retry-After"] = str(DELETION_RETRY_AFTER_SECONDS)
                return response
            # Closed: what is left is finished by account_deletions_resume.
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportCognitoLinkSerializer(serializers.Serializer[Any]):
    sub = serializers.CharField()
    linkedAt = serializers.DateTimeField()


class ExportProfileSerializer(serializers.Serializer[Any]):
    userId = serializers.IntegerField()
    email = serializers.CharField()
    username = serializers.CharField()
    displayName = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    isAdmin = serializers.BooleanField()
    createdAt = serializers.DateTimeField(allow_null=True)
    lastLogin = serializers.DateTimeField(allow_null=True)
    cognito = ExportCognitoLinkSerializer(required=False, help_text="The Cognito user linked to this account.")


class ExportNoteSerializer(serializers.Serializer[Any]):
    noteId = serializers.UUIDField()
    headline = serializers.CharField()
    text = serializers.CharField()
    visibility = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField(allow_null=True)
    updatedAt = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField()
    version = serializers.IntegerField()
    photoKey = serializers.CharField(allow_null=True)
    s3Url = serializers.CharField(allow_null=True, help_text="A fresh photo URL (it expires like the notes API's).")
    sitePhotoPath = serializers.CharField(allow_null=True, help_text="The site's own photo_path column.")


class ExportDatasetRecordSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    syncCount = serializers.IntegerField()


class ExportDatasetSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    syncCount = serializers.IntegerField()
    records = ExportDatasetRecordSerializer(many=True)


class ExportDeviceSerializer(serializers.Serializer[Any]):
    deviceId = serializers.UUIDField()
    platform = serializers.CharField()
    enabled = serializers.BooleanField()
    locale = serializers.CharField()
    appVersion = serializers.CharField()
    createdAt = serializers.DateTimeField()
    lastSeenAt = serializers.DateTimeField()


class ExportDocumentSerializer(serializers.Serializer[Any]):
    """The export document (for the schema; the server writes it in chunks)."""

    format = serializers.IntegerField(help_text="Version of this document's layout.")
    exportedAt = serializers.DateTimeField()
    profile = ExportProfileSerializer(help_text="The site profile (never the password) and the Cognito link.")
    notes = ExportNoteSerializer(many=True, help_text="Every note, deleted ones flagged.")
    datasets = ExportDatasetSerializer(many=True, help_text="Each dataset with its records.")
    devices = ExportDeviceSerializer(many=True, help_text="Devices registered for push (never their tokens).")


class MeExportApi(APIView):
    """`GET /api/v1/me/export`: the caller's data as one JSON document; a large one by a redirect."""

    @extend_schema(
        operation_id="me_export",
        summary="Export everything held about the caller",
        description="One JSON document: profile, notes (with tags, visibility, dates and photo URLs), devices "
        "and datasets. A document larger than the server answers itself (5 MB by default) comes by a `303 See "
        "Other` to a presigned download URL that expires after 15 minutes; HTTP clients follow it on their "
        "own (the URL needs no token). Photo URLs expire like the notes API's.",
        responses={
            200: ExportDocumentSerializer,
            303: OpenApiResponse(
                description="The document is large: download it from `Location` (a presigned URL, no token) "
                "before it expires."
            ),
            **error_responses(503),
        },
        tags=["me"],
    )
    def get(self, request: Request) -> HttpResponse:
        site_user = caller_site_user(request)
        filename = export_filename(site_user=site_user)
        document, size = account_export_spooled(site_user=site_user)
        with document:
            if size > settings.EXPORT_INLINE_MAX_BYTES:
                try:
                    url = account_export_upload(document=document, filename=filename)
                except ExportStorageUnavailable:
                    logger.warning("me_export: the media bucket refused a %d-byte export", size, exc_info=True)
                    raise DependencyUnavailable(
                        EXPORT_UNAVAILABLE_MESSAGE, retry_after_seconds=EXPORT_RETRY_AFTER_SECONDS
                    ) from None
                response = HttpResponse(status=303)
                response["Location"] = url
            else:
                response = HttpResponse(document.read(), content_type="application/json")
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
