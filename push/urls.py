"""Routes of the push room under /api/v1/ (both slash forms answer: project/slashes.py)."""

from __future__ import annotations

from django.urls import path

from push.apis import DeviceDeleteApi, DeviceRegisterApi

urlpatterns = [
    path("devices", DeviceRegisterApi.as_view(), name="device-register"),
    # Any text: a deviceId that is not a UUID is a 404 like any other unknown one.
    path("devices/<str:deviceId>", DeviceDeleteApi.as_view(), name="device-delete"),
]
