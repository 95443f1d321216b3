"""Writes of the push room: registering devices, silent sync pushes, staff broadcasts.

The order is always the same: talk to SNS first (outside any transaction or lock), then write the
result in a short transaction; a push that a write asks for is recorded in the write's own
transaction (`push_notes_changed`) and sent after it commits (`push_sync_send`, from the note write
line's publish step, notes/pushes.py), or by the scheduled drain (`push_drain`) when that send fails
or must wait its turn.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from push import sns
from push.models import Broadcast, Device, Platform
from push.platforms import (
    APNS_BACKGROUND_ATTRIBUTES,
    APNS_PLATFORMS,
    application_arn,
    broadcast_message,
    sync_message,
    token_clean,
)
from push.sns import EndpointGone, PushUnavailable

logger = logging.getLogger(__name__)

DEVICES_PER_USER_MAX: Final = 20
# SPEC §10: at most one silent push per device per 30 s; changes meanwhile wait for the next one.
SYNC_PUSH_INTERVAL: Final = timedelta(seconds=30)
SYNC_RETRY_BASE_SECONDS: Final = 30
SYNC_RETRY_MAX_SECONDS: Final = 3600
LAST_ERROR_MAX_LENGTH: Final = 1000
BROADCAST_BATCH_SIZE: Final = 500
# Publishes of one batch run side by side: SNS takes one endpoint per call. botocore keeps 10
# connections per client, so more threads would only queue.
BROADCAST_PUBLISH_THREADS: Final = 10
BROADCAST_TIME_BUDGET_SECONDS: Final = 20.0
# A sender holds a broadcast this long past its budget; a sender that died frees it by then.
BROADCAST_LEASE_MARGIN_SECONDS: Final = 60
BROADCAST_RETRY_SECONDS: Final = 60


class PushNotConfigured(Exception):
    """The platform's SNS application (or the broadcast topic) is not configured here."""


class DeviceNotFound(Exception):
    """No device with this deviceId belongs to the caller."""


# --- Devices --------------------------------------------------------------------------------


def token_digest(*, platform: str, token: str) -> str:
    """The unique key of a device: a digest of its platform and token."""
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()


@dataclass(frozen=True)
class DeviceRegistered:
    device: Device
    created: bool  # False when this user had registered the token already (same deviceId)


def device_register(
    *, site_user_id: int, platform: str, token: str, locale: str = "", app_version: str = ""
) -> DeviceRegistered:
    """Register a device for push: its SNS endpoint made (or reused, re-enabled), its row written.

    Raises InvalidToken (bad format), sns.TokenRejected (SNS refused it), PushNotConfigured, or
    PushUnavailable (SNS down). A token registered by another user moves to this one with a new
    deviceId; beyond DEVICES_PER_USER_MAX devices the least recently seen are dropped.
    """
    platform = Platform(platform)
    token = token_clean(platform=platform, token=token)
    app_arn = application_arn(platform)
    if not app_arn:
        raise PushNotConfigured(f"Push for {platform.label} is not set up on this server.")
    digest = token_digest(platform=platform, token=token)
    known = Device.objects.filter(token_digest=digest).values("endpoint_arn", "subscription_arn").first()
    # SNS first, outside any transaction: the row below records what SNS now has.
    endpoint_arn = sns.endpoint_ensure(
        application_arn=app_arn,
        token=token,
        user_data=sns.custom_user_data(site_user_id),
        known_arn=known["endpoint_arn"] if known else "",
    )
    subscription_arn = known["subscription_arn"] if known and known["endpoint_arn"] == endpoint_arn else ""
    if settings.SNS_BROADCAST_TOPIC_ARN and not subscription_arn:
        subscription_arn = sns.endpoint_subscribe(topic_arn=settings.SNS_BROADCAST_TOPIC_ARN, endpoint_arn=endpoint_arn)
    fields = {
        "platform": platform,
        "token": token,
        "endpoint_arn": endpoint_arn,
        "subscription_arn": subscription_arn,
        "enabled": True,
        "locale": locale,
        "app_version": app_version,
        "last_seen_at": timezone.now(),
    }
    try:
        registered, dropped = _device_save(site_user_id=site_user_id, digest=digest, fields=fields)
    except IntegrityError:  # a concurrent registration of the same token inserted it first
        registered, dropped = _device_save(site_user_id=site_user_id, digest=digest, fields=fields)
    for device in dropped:
        _endpoint_delete_quietly(device)
    return registered


def _device_save(*, site_user_id: int, digest: str, fields: dict[str, Any]) -> tuple[DeviceRegistered, list[Device]]:
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token_digest=digest).first()
        if device is None:
            device = Device.objects.create(site_user_id=site_user_id, token_digest=digest, **fields)
            created = True
        else:
            created = device.site_user_id != site_user_id
            if created:
                # The token changed hands (a phone sold or shared): a new device for its new owner,
                # nothing of the old owner's pending pushes, and a deviceId the old owner never saw.
                device.device_id = uuid.uuid4()
                device.site_user_id = site_user_id
                device.sync_pending_since = None
                device.sync_attempts = 0
                device.sync_next_attempt_at = None
            for name, value in fields.items():
                setattr(device, name, value)
            device.save()
        dropped = list(
            Device.objects.filter(site_user_id=site_user_id).order_by("-last_seen_at", "-pk")[DEVICES_PER_USER_MAX:]
        )
        if dropped:
            Device.objects.filter(pk__in=[d.pk for d in dropped]).delete()
    return DeviceRegistered(device=device, created=created), dropped


def _endpoint_delete_quietly(device: Device) -> None:
    try:
        sns.endpoint_delete(endpoint_arn=device.endpoint_arn, subscription_arn=device.subscription_arn)
    except PushUnavailable as exc:
        # The row is gone already; the endpoint stays in SNS until it is disabled by APNs/FCM.
        logger.warning("push: could not delete endpoint %s of a dropped device (%s)", device.endpoint_arn, exc)


def device_unregister(*, site_user_id: int, device_id: uuid.UUID) -> None:
    """Delete the caller's device and its SNS endpoint; DeviceNotFound when it is not theirs.

    The endpoint goes first: when SNS is down (PushUnavailable) the row stays, and the app's retry
    finishes the job, so no endpoint is left subscribed to broadcasts without a row.
    """
    device = Device.objects.filter(device_id=device_id, site_user_id=site_user_id).first()
    if device is None:
        raise DeviceNotFound("No device with this deviceId.")
    sns.endpoint_delete(endpoint_arn=device.endpoint_arn, subscription_arn=device.subscription_arn)
    Device.objects.filter(pk=device.pk).delete()


def devices_delete_for_user(*, site_user_id: int) -> int:
    """Delete every device of a site user and its SNS endpoint (account deletion); how many.

    Idempotent: a second call finds nothing. When SNS is down the devices it could not clean up
    stay, and PushUnavailable is raised after the others are done, so a retry finishes.
    """
    deleted = 0
    failure: PushUnavailable | None = None
    for device in Device.objects.filter(site_user_id=site_user_id).order_by("pk"):
        try:
            sns.endpoint_delete(endpoint_arn=device.endpoint_arn, subscription_arn=device.subscription_arn)
        except PushUnavailable as exc:
            failure = exc
            continue
        deleted += Device.objects.filter(pk=device.pk).delete()[0]
    if failure is not None:
        raise failure
    return deleted


def _device_disable(*, pk: int) -> None:
    """SNS said the endpoint is disabled or gone: stop sending to it until the app registers again."""
    Device.objects.filter(pk=pk).update(enabled=False, sync_pending_since=None, sync_next_attempt_at=None)


# --- Silent sync pushes ---------------------------------------------------------------------


def _device_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None  # an app's garbage X-Device-Id excludes nothing rather than failing its write


def push_notes_changed(*, site_user_id: int, except_device_id: str | None = None) -> int:
    """Record, in the caller's transaction, that the user's devices other than ``except_device_id``
    (the one that wrote, from X-Device-Id) must be told their notes changed; how many were marked.

    One UPDATE, no network: send with push_sync_send once the write is done.
    """
    now = timezone.now()
    devices = Device.objects.filter(site_user_id=site_user_id, enabled=True)
    writer = _device_uuid(except_device_id)
    if writer is not None:
        devices = devices.exclude(device_id=writer)
    return devices.update(
        sync_pending_since=Coalesce(F("sync_pending_since"), Value(now, output_field=DateTimeField())),
        sync_next_attempt_at=Coalesce(F("sync_next_attempt_at"), Value(now, output_field=DateTimeField())),
    )


@dataclass
class SyncResult:
    sent: int = 0
    failed: int = 0
    disabled: int = 0
    waiting: int = 0  # pending, but the device had a push less than SYNC_PUSH_INTERVAL ago


def _sync_due(now: Any) -> Q:
    return Q(enabled=True, sync_pending_since__isnull=False, sync_next_attempt_at__lte=now) & (
        Q(last_sync_push_at__isnull=True) | Q(last_sync_push_at__lte=now - SYNC_PUSH_INTERVAL)
    )


def push_sync_send(
    *, site_user_ids: Iterable[int] | None = None, limit: int = 1000, count_waiting: bool = True
) -> SyncResult:
    """Send the silent sync push to every device that is due (of ``site_user_ids``, or all).

    Each device is claimed by a conditional UPDATE before its publish, so two senders never push
    one device twice within the interval. Outside any transaction: it talks to SNS. Without
    ``count_waiting`` the result's `waiting` stays 0: a caller that never reads it (the send after
    every note write) saves the COUNT query.
    """
    now = timezone.now()
    devices = Device.objects.filter(_sync_due(now))
    pending = Device.objects.filter(enabled=True, sync_pending_since__isnull=False)
    if site_user_ids is not None:
        ids = list(site_user_ids)
        devices = devices.filter(site_user_id__in=ids)
        pending = pending.filter(site_user_id__in=ids)
    result = SyncResult()
    message = sync_message()
    rows = list(
        devices.order_by("sync_next_attempt_at").values(
            "pk", "platform", "endpoint_arn", "sync_pending_since", "last_sync_push_at", "sync_attempts"
        )[:limit]
    )
    for row in rows:
        claimed = Device.objects.filter(_sync_due(now), pk=row["pk"]).update(
            sync_pending_since=None, last_sync_push_at=now
        )
        if not claimed:
            continue  # another sender took it
        try:
            sns.publish_to_endpoint(
                endpoint_arn=row["endpoint_arn"],
                message=message,
                attributes=APNS_BACKGROUND_ATTRIBUTES if row["platform"] in APNS_PLATFORMS else None,
            )
        except EndpointGone:
            _device_disable(pk=row["pk"])
            result.disabled += 1
            continue
        except PushUnavailable as exc:
            _sync_failure_record(row=row, error=str(exc))
            result.failed += 1
            continue
        Device.objects.filter(pk=row["pk"]).update(sync_attempts=0, sync_last_error="", sync_next_attempt_at=None)
        result.sent += 1
    if count_waiting:
        result.waiting = pending.count()
    return result


def _sync_failure_record(*, row: Mapping[str, Any], error: str) -> None:
    attempts = row["sync_attempts"] + 1
    delay = min(SYNC_RETRY_MAX_SECONDS, SYNC_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    # Back to pending, as if this attempt had not happened, with the next try later.
    Device.objects.filter(pk=row["pk"]).update(
        sync_pending_since=Coalesce(
            F("sync_pending_since"), Value(row["sync_pending_since"] or timezone.now(), output_field=DateTimeField())
        ),
        last_sync_push_at=row["last_sync_push_at"],
        sync_attempts=attempts,
        sync_next_attempt_at=timezone.now() + timedelta(seconds=delay),
        sync_last_error=error[:LAST_ERROR_MAX_LENGTH],
    )
    logger.warning(
        "push: sync push to device %s failed (attempt %s, %s); retry in %ss", row["pk"], attempts, error, int(delay)
    )


# --- Broadcasts -----------------------------------------------------------------------------


def broadcast_create(
    *,
    title: str,
    body: str,
    deep_link: str = "",
    audience: str,
    site_user_ids: Iterable[int] = (),
    created_by_id: int | None = None,
) -> Broadcast:
    """A draft broadcast: nothing is sent until broadcast_start."""
    audience = Broadcast.Audience(audience)
    ids = sorted(set(site_user_ids)) if audience == Broadcast.Audience.USERS else []
    return Broadcast.objects.create(
        title=title, body=body, deep_link=deep_link, audience=audience, site_user_ids=ids, created_by_id=created_by_id
    )


def broadcast_payloads(*, broadcast: Broadcast) -> dict[str, str]:
    """What each platform receives (APNS, APNS_SANDBOX, GCM, and the default), for the preview."""
    return broadcast_message(title=broadcast.title, body=broadcast.body, deep_link=broadcast.deep_link)


def _broadcast_devices(broadcast: Broadcast) -> Any:
    devices = Device.objects.filter(enabled=True)
    if broadcast.audience == Broadcast.Audience.ALL:
        return devices.exclude(subscription_arn="")
    return devices.filter(site_user_id__in=broadcast.site_user_ids)


def broadcast_start(*, broadcast_id: int, sent_by_id: int | None = None) -> bool:
    """Mark a draft as sending (counting its devices); False when it was not a draft any more."""
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    if broadcast.audience == Broadcast.Audience.ALL and not settings.SNS_BROADCAST_TOPIC_ARN:
        raise PushNotConfigured("SNS_BROADCAST_TOPIC_ARN is not set: a broadcast to every device cannot be sent.")
    return bool(
        Broadcast.objects.filter(pk=broadcast_id, status=Broadcast.Status.DRAFT).update(
            status=Broadcast.Status.SENDING,
            sent_by_id=sent_by_id,
            started_at=timezone.now(),
            endpoints_total=_broadcast_devices(broadcast).count(),
        )
    )


def broadcast_send(*, broadcast_id: int, time_budget_seconds: float = BROADCAST_TIME_BUDGET_SECONDS) -> Broadcast:
    """Send a broadcast that is sending, batch by batch, for up to ``time_budget_seconds``.

    Progress (cursor, counts) is saved after every batch; whatever is left when the budget runs
    out, or SNS is down, is sent by the next call (the `push_drain` schedule). Outside any
    transaction: it talks to SNS.
    """
    started = time.monotonic()
    if not _broadcast_lease(broadcast_id, seconds=time_budget_seconds + BROADCAST_LEASE_MARGIN_SECONDS):
        return Broadcast.objects.get(pk=broadcast_id)  # another sender has it
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    message = broadcast_message(title=broadcast.title, body=broadcast.body, deep_link=broadcast.deep_link)
    if broadcast.audience == Broadcast.Audience.ALL:
        return _broadcast_to_topic(broadcast, message)
    while time.monotonic() - started < time_budget_seconds:
        batch = list(
            _broadcast_devices(broadcast)
            .filter(pk__gt=broadcast.cursor)
            .order_by("pk")
            .values_list("pk", "endpoint_arn")[:BROADCAST_BATCH_SIZE]
        )
        if not batch:
            Broadcast.objects.filter(pk=broadcast.pk).update(
                status=Broadcast.Status.DONE, finished_at=timezone.now(), lease_until=None
            )
            return Broadcast.objects.get(pk=broadcast.pk)
        outcome = _publish_batch(batch, message)
        if outcome.unavailable == len(batch):
            # SNS is down: keep the cursor, let the drain try the same batch later.
            Broadcast.objects.filter(pk=broadcast.pk).update(
                last_error=outcome.last_error[:LAST_ERROR_MAX_LENGTH],
                lease_until=timezone.now() + timedelta(seconds=BROADCAST_RETRY_SECONDS),
            )
            return Broadcast.objects.get(pk=broadcast.pk)
        for pk in outcome.gone:
            _device_disable(pk=pk)
        broadcast.cursor = batch[-1][0]
        Broadcast.objects.filter(pk=broadcast.pk).update(
            cursor=broadcast.cursor,
            endpoints_reached=F("endpoints_reached") + outcome.reached,
            failures=F("failures") + outcome.unavailable + len(outcome.gone),
            endpoints_disabled=F("endpoints_disabled") + len(outcome.gone),
            last_error=outcome.last_error[:LAST_ERROR_MAX_LENGTH],
        )
    Broadcast.objects.filter(pk=broadcast.pk).update(lease_until=None)
    return Broadcast.objects.get(pk=broadcast.pk)


def _broadcast_lease(broadcast_id: int, *, seconds: float) -> bool:
    now = timezone.now()
    return bool(
        Broadcast.objects.filter(pk=broadcast_id, status=Broadcast.Status.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + timedelta(seconds=seconds))
    )


def _broadcast_to_topic(broadcast: Broadcast, message: dict[str, str]) -> Broadcast:
    try:
        message_id = sns.publish_to_topic(topic_arn=settings.SNS_BROADCAST_TOPIC_ARN, message=message)
    except PushUnavailable as exc:
        Broadcast.objects.filter(pk=broadcast.pk).update(
            last_error=str(exc), lease_until=timezone.now() + timedelta(seconds=BROADCAST_RETRY_SECONDS)
        )
        return Broadcast.objects.get(pk=broadcast.pk)
    # SNS fans the message out to every subscribed endpoint; it does not say how many it reached.
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.DONE,
        topic_message_id=message_id,
        endpoints_reached=F("endpoints_total"),
        finished_at=timezone.now(),
        lease_until=None,
        last_error="",
    )
    return Broadcast.objects.get(pk=broadcast.pk)


@dataclass
class _BatchOutcome:
    reached: int = 0
    unavailable: int = 0
    gone: list[int] = field(default_factory=list)
    last_error: str = ""


def _publish_batch(batch: list[tuple[int, str]], message: dict[str, str]) -> _BatchOutcome:
    """Publish to each endpoint of the batch, side by side; the threads touch no database."""

    def publish(endpoint_arn: str) -> str:
        try:
            sns.publish_to_endpoint(endpoint_arn=endpoint_arn, message=message)
        except EndpointGone:
            return "gone"
        except PushUnavailable as exc:
            return f"unavailable:{exc}"
        return "ok"

    outcome = _BatchOutcome()
    with ThreadPoolExecutor(max_workers=BROADCAST_PUBLISH_THREADS) as pool:
        results = pool.map(publish, [endpoint_arn for _, endpoint_arn in batch])
        for (pk, _), result in zip(batch, results, strict=True):
            if result == "ok":
                outcome.reached += 1
            elif result == "gone":
                outcome.gone.append(pk)
            else:
                outcome.unavailable += 1
                outcome.last_error = result.removeprefix("unavailable:")
    return outcome


@dataclass
class DrainResult:
    sync: SyncResult
    broadcasts_sent: int = 0


def push_drain() -> DrainResult:
    """The scheduled job: due sync pushes, then broadcasts still sending (time-boxed each)."""
    sync = push_sync_send()
    result = DrainResult(sync=sync)
    now = timezone.now()
    for broadcast_id in (
        Broadcast.objects.filter(status=Broadcast.Status.SENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .values_list("pk", flat=True)
    ):
        broadcast_send(broadcast_id=broadcast_id)
        result.broadcasts_sent += 1
    return result
