"""`POST /api/v1/devices` and `DELETE /api/v1/devices/{deviceId}`: registering for push (SPEC §2, §10)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.errors import DependencyUnavailable
from api.fields import StrictCharField
from api.openapi import error_responses
from push.models import Device, Platform
from push.platforms import InvalidToken
from push.services import DeviceNotFound, PushNotConfigured, device_register, device_unregister
from push.sns import PushUnavailable, TokenRejected

TOKEN_MAX_LENGTH = 4096
LOCALE_MAX_LENGTH = Device._meta.get_field("locale").max_length or 35
APP_VERSION_MAX_LENGTH = Device._meta.get_field("app_version").max_length or 64
# The header a note write carries so the writing device gets no push about its own change.
DEVICE_ID_HEADER = "X-Device-Id"
PUSH_RETRY_AFTER_SECONDS = 30
# For the note writes' OpenAPI operations, so generated clients can send it.
DEVICE_ID_PARAMETER = OpenApiParameter(
    DEVICE_ID_HEADER,
    # A string, not a uuid: a value that names no device of the caller's only excludes nothing, it
    # never fails the write.
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The writing device's `deviceId` (from `POST /api/v1/devices`): the caller's other devices get a "
    "silent push about the change, this one none.",
)


PUSH_UNAVAILABLE_MESSAGE = "Push notifications are briefly unavailable; retry shortly."


def push_unavailable(message: str = PUSH_UNAVAILABLE_MESSAGE) -> DependencyUnavailable:
    """503 + Retry-After: SNS (or this server's push set-up) cannot take the registration now."""
    return DependencyUnavailable(message, retry_after_seconds=PUSH_RETRY_AFTER_SECONDS)


class DeviceRegisterInputSerializer(serializers.Serializer[Any]):
    platform = serializers.ChoiceField(choices=Platform.choices)
    token = StrictCharField(
        max_length=TOKEN_MAX_LENGTH, help_text="The APNs device token (hex) or FCM registration token."
    )
    locale = StrictCharField(max_length=LOCALE_MAX_LENGTH, required=False, allow_blank=True)
    appVersion = StrictCharField(max_length=APP_VERSION_MAX_LENGTH, required=False, allow_blank=True)


class DeviceOutputSerializer(serializers.Serializer[Device]):
    deviceId = serializers.UUIDField(source="device_id")
    platform = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")


class DeviceRegisterApi(APIView):
    """Register this app install for push; the answer's deviceId goes in X-Device-Id on note writes."""

    @extend_schema(
        operation_id="device_register",
        summary="Register a device for push notifications",
        description="201 with a new deviceId; 200 with the same deviceId when this caller registered the "
        "token before (the endpoint is re-enabled). A token registered by another account moves to the "
        "caller. Send the deviceId as `X-Device-Id` on note writes: that device gets no push about its "
        "own change, the caller's other devices get one silent push.",
        request=DeviceRegisterInputSerializer,
        responses={201: DeviceOutputSerializer, 200: DeviceOutputSerializer, **error_responses(400, 503)},
        tags=["devices"],
    )
    def post(self, request: Request) -> Response:
        serializer = DeviceRegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            registered = device_register(
                site_user_id=caller_site_user(request).user_id,
                platform=data["platform"],
                token=data["token"],
                locale=data.get("locale", ""),
                app_version=data.get("appVersion", ""),
            )
        except InvalidToken as exc:
            raise exceptions.ValidationError({"token": [str(exc)]}) from None
        except TokenRejected:
            raise exceptions.ValidationError({"token": ["The push service refused this token."]}) from None
        except PushNotConfigured as exc:
            raise push_unavailable(str(exc)) from None
        except PushUnavailable:
            raise push_unavailable() from None
        code = status.HTTP_201_CREATED if registered.created else status.HTTP_200_OK
        return Response(DeviceOutputSerializer(registered.device).data, status=code)


class DeviceDeleteApi(APIView):
    """Unregister one of the caller's devices; its SNS endpoint is deleted."""

    @extend_schema(
        operation_id="device_unregister",
        summary="Unregister a device",
        responses={204: None, **error_responses(404, 503)},
        tags=["devices"],
    )
    def delete(self, request: Request, deviceId: str) -> Response:
        try:
            parsed = uuid.UUID(deviceId)
            device_unregister(site_user_id=caller_site_user(request).user_id, device_id=parsed)
        except (ValueError, DeviceNotFound):
            raise exceptions.NotFound("No device with this deviceId.") from None
        except PushUnavailable:
            raise push_unavailable() from None
        return Response(status=status.HTTP_204_NO_CONTENT)
