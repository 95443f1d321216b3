"""Routes of the push room under /api/v1/ (with or without a trailing slash, no redirect)."""

from __future__ import annotations

from django.urls import path

from push.apis import DeviceDeleteApi, DeviceRegisterApi

urlpatterns = [
    path("devices", DeviceRegisterApi.as_view(), name="device-register"),
    # Any text: a deviceId that is not a UUID is a 404 like any other unknown one.
    path("devices/<str:device_id>", DeviceDeleteApi.as_view(), name="device-delete"),
    # The same views with a trailing slash, left out of the OpenAPI document (one path each there).
    path("devices/", DeviceRegisterApi.as_view(schema=None)),
    path("devices/<str:device_id>/", DeviceDeleteApi.as_view(schema=None)),
]
