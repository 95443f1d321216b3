"""Routes of the push room under /api/v1/ (with or without a trailing slash, no redirect)."""

from __future__ import annotations

from django.urls import re_path

from push.apis import DeviceDeleteApi, DeviceRegisterApi

urlpatterns = [
    re_path(r"^devices/?$", DeviceRegisterApi.as_view(), name="device-register"),
    # Any text: a deviceId that is not a UUID is a 404 like any other unknown one.
    re_path(r"^devices/(?P<device_id>[^/]+)/?$", DeviceDeleteApi.as_view(), name="device-delete"),
]
