"""Reads of the push room."""

from __future__ import annotations

from typing import Any

from push.models import Device


def devices_export_for_user(*, site_user_id: int) -> list[dict[str, Any]]:
    """The user's devices for their data export (JSON-able): never the token or the endpoint."""
    return [
        {
            "deviceId": str(device.device_id),
            "platform": device.platform,
            "enabled": device.enabled,
            "locale": device.locale,
            "appVersion": device.app_version,
            "createdAt": device.created_at.isoformat(),
            "lastSeenAt": device.last_seen_at.isoformat(),
        }
        for device in Device.objects.filter(site_user_id=site_user_id).order_by("created_at", "pk")
    ]


def device_count_for_user(*, site_user_id: int) -> int:
    """How many devices the user has registered."""
    return Device.objects.filter(site_user_id=site_user_id).count()
