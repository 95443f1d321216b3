"""Push through SNS (SPEC §10): endpoints/s for device registration and for a targeted broadcast.

Registration is push.services.device_register as POST /api/v1/devices runs it (CreatePlatformEndpoint,
GetEndpointAttributes, Subscribe to the broadcast topic, the row), one device after another. The
targeted send is a staff broadcast to the devices of the users registered here, as the admin's
"Send" action runs it (batches of publishes side by side). Both against moto over HTTP: they
measure Lambridge's own overhead and the request pattern, not SNS's latency.
"""

from __future__ import annotations

import secrets
import time

from bench.results import Row
from bench.stack import Stack

NAME = "push"
DEVICES = 1000
DEVICES_PER_USER = 10
# Far above any site user id of the bench database: these users exist only as device owners.
FIRST_USER_ID = 900_000_000


def run(stack: Stack, *, devices: int = DEVICES) -> list[Row]:
    from django.conf import settings

    from push.models import Broadcast
    from push.services import broadcast_create, broadcast_send, broadcast_start, device_register

    for setting, arn in stack.resources.push_application_arns:
        setattr(settings, setting, arn)
    settings.SNS_BROADCAST_TOPIC_ARN = stack.resources.broadcast_topic_arn
    user_ids = [FIRST_USER_ID + index // DEVICES_PER_USER for index in range(devices)]

    started = time.perf_counter()
    for user_id in user_ids:
        device_register(site_user_id=user_id, platform="ios", token=secrets.token_hex(32))
    registration_seconds = time.perf_counter() - started

    broadcast = broadcast_create(title="Bench", body="A targeted send", audience="users", site_user_ids=set(user_ids))
    broadcast_start(broadcast_id=broadcast.pk)
    started = time.perf_counter()
    sent = broadcast_send(broadcast_id=broadcast.pk, time_budget_seconds=3600)
    send_seconds = time.perf_counter() - started
    if sent.status != Broadcast.Status.DONE or sent.endpoints_reached != devices:
        raise RuntimeError(f"the broadcast reached {sent.endpoints_reached} of {devices} devices ({sent.status})")
    return [
        Row(
            f"push: device registration, {devices} devices one after another",
            devices / registration_seconds,
            "endpoints/s",
            details={"seconds": round(registration_seconds, 2)},
        ),
        Row(
            f"push: targeted broadcast to {devices} devices",
            devices / send_seconds,
            "endpoints/s",
            details={"seconds": round(send_seconds, 2), "failures": sent.failures},
        ),
    ]
