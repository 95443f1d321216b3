"""`/api/v1/me`: the caller's own site profile (SPEC §2)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from accounts.services import site_user_update_display_name
from api.fields import StrictCharField
from api.openapi import error_responses
from legacy.models import LegacyUser
from legacy.validators import validate_utf8mb3

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
