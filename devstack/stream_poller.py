"""The local stand-in for Lambda's DynamoDB stream trigger: reads the Notes table's stream from moto and
calls `notes.stream.stream_handler` with the event Lambda would send.

`python -m devstack.stream_poller` (with the stack's settings: `set -a; . .local/devstack.env`), or
started by `make run`. Like Lambda it delivers each shard's records in order, in batches of up to
100, and retries a failing batch until it succeeds instead of skipping it. Its position in each
shard is kept in a small JSON file (.local/stream_poller.json), so a restart resumes where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_PATH = ROOT / ".local" / "stream_poller.json"
# Lambda's default (and the reference's) batch size for DynamoDB streams.
DEFAULT_BATCH_SIZE = 100
# How often an idle poller asks for new records: fast enough that a write shows up in search
# while a developer looks.
POLL_INTERVAL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
# What Lambda puts in eventVersion for DynamoDB stream records.
EVENT_VERSION = "1.1"

logger = logging.getLogger("devstack.stream_poller")

Handler = Callable[[dict[str, Any], object | None], Any]


class StreamBatchFailed(RuntimeError):
    """The handler raised on a batch; the position stays before it, so the next poll retries it."""


def lambda_record(record: dict[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it: epoch ApproximateCreationDateTime, eventVersion 1.1,
    eventSourceARN, and no empty images (moto gives an INSERT `OldImage: {}`, Lambda leaves it out)."""
    stream = record["dynamodb"]
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        moment = created if created.tzinfo is not None else created.replace(tzinfo=UTC)
        created = int(moment.timestamp())
    body: dict[str, Any] = {"ApproximateCreationDateTime": created, "Keys": stream["Keys"]}
    for image in ("NewImage", "OldImage"):
        if stream.get(image):
            body[image] = stream[image]
    body["SequenceNumber"] = stream["SequenceNumber"]
    body["SizeBytes"] = stream.get("SizeBytes", 0)
    body["StreamViewType"] = stream.get("StreamViewType")
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }


class StreamPoller:
    """Delivers the stream of `table_name` to `handler` (default: notes.stream.stream_handler)."""

    def __init__(
        self,
        *,
        table_name: str | None = None,
        state_path: Path | None = DEFAULT_STATE_PATH,
        batch_size: int = DEFAULT_BATCH_SIZE,
        handler: Handler | None = None,
    ) -> None:
        from django.conf import settings

        self.table_name = table_name or settings.NOTES_TABLE
        self.region = settings.AWS_REGION
        self.state_path = state_path
        self.batch_size = batch_size
        if handler is None:
            from notes.stream import stream_handler

            handler = stream_handler
        self.handler = handler
        # {stream ARN: {shard id: last delivered sequence number}}. Keyed by the ARN, whose label
        # is the stream's creation time: a recreated table starts from its beginning.
        self.positions: dict[str, dict[str, str]] = self._load()
        self._iterators: dict[tuple[str, str], str | None] = {}

    # --- position -------------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, str]]:
        if self.state_path is None or not self.state_path.is_file():
            return {}
        try:
            loaded = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            logger.warning("stream position file %s is unreadable; starting from the oldest records", self.state_path)
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save(self) -> None:
        if self.state_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.positions, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.state_path)  # never a half-written file after a crash

    # --- the stream -----------------------------------------------------------------------------

    def stream_arn(self) -> str:
        from aws.clients import dynamodb_client

        table = dynamodb_client().describe_table(TableName=self.table_name)["Table"]
        arn = table.get("LatestStreamArn")
        if not arn:
            raise RuntimeError(f"Table {self.table_name} has no stream; enable NEW_AND_OLD_IMAGES.")
        return str(arn)

    def _shard_ids(self, stream_arn: str) -> Iterator[str]:
        from aws.clients import dynamodbstreams_client

        client = dynamodbstreams_client()
        options: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = client.describe_stream(**options)["StreamDescription"]
            for shard in description.get("Shards", []):
                yield shard["ShardId"]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return
            options["ExclusiveStartShardId"] = last

    def _iterator(self, stream_arn: str, shard_id: str) -> str | None:
        from aws.clients import dynamodbstreams_client

        key = (stream_arn, shard_id)
        if key not in self._iterators:
            last = self.positions.get(stream_arn, {}).get(shard_id)
            options: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
            if last:
                options |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            else:
                options["ShardIteratorType"] = "TRIM_HORIZON"
            self._iterators[key] = dynamodbstreams_client().get_shard_iterator(**options)["ShardIterator"]
        return self._iterators[key]

    def poll_once(self) -> int:
        """Deliver every waiting record of every shard, in batches; the number of records delivered.

        Raises StreamBatchFailed when the handler fails; that batch comes again on the next call.
        """
        from aws.clients import dynamodbstreams_client

        client = dynamodbstreams_client()
        stream_arn = self.stream_arn()
        # The table has one stream; positions in streams of tables since recreated are dead weight.
        for old_arn in [arn for arn in self.positions if arn != stream_arn]:
            del self.positions[old_arn]
        delivered = 0
        for shard_id in self._shard_ids(stream_arn):
            while (iterator := self._iterator(stream_arn, shard_id)) is not None:
                try:
                    response = client.get_records(ShardIterator=iterator, Limit=self.batch_size)
                except client.exceptions.ExpiredIteratorException:
                    del self._iterators[(stream_arn, shard_id)]
                    continue
                records = response.get("Records", [])
                if not records:
                    self._iterators[(stream_arn, shard_id)] = response.get("NextShardIterator")
                    break
                event = {
                    "Records": [lambda_record(record, stream_arn=stream_arn, region=self.region) for record in records]
                }
                try:
                    self.handler(event, None)
                except Exception as exc:
                    # Back to the saved position: the same records come again next time.
                    del self._iterators[(stream_arn, shard_id)]
                    raise StreamBatchFailed(
                        f"the stream handler failed on {len(records)} records of {shard_id}: "
                        f"{exc.__class__.__name__}: {exc}"
                    ) from exc
                self.positions.setdefault(stream_arn, {})[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                self._save()
                self._iterators[(stream_arn, shard_id)] = response.get("NextShardIterator")
                delivered += len(records)
        return delivered

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; failures (the handler's, or the emulator being away) back off and retry."""
        failures = 0
        while not stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception as exc:
                failures += 1
                delay = min(POLL_INTERVAL_SECONDS * 2**failures, MAX_BACKOFF_SECONDS)
                logger.warning("stream poll failed (%s); retrying in %.1f s", exc, delay)
                self._iterators.clear()
                stop.wait(delay)
                continue
            failures = 0
            if delivered:
                logger.info("delivered %d stream records", delivered)
            else:
                stop.wait(POLL_INTERVAL_SECONDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.stream_poller", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--state-file", type=Path, default=Path(os.environ.get("DEVSTACK_STREAM_STATE", DEFAULT_STATE_PATH))
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.conf import settings

    if not settings.AWS_ENDPOINT_URL:
        # On AWS the stream invokes the Lambda function itself; this poller is for the emulator.
        parser.error("AWS_ENDPOINT_URL is empty: point it at the local emulator (set -a; . .local/devstack.env).")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    poller = StreamPoller(state_path=arguments.state_file, batch_size=arguments.batch_size)
    logger.info("polling the stream of %s at %s; Ctrl-C stops it", poller.table_name, settings.AWS_ENDPOINT_URL)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop quietly, the position is saved
        poller.run(stop)


if __name__ == "__main__":
    main()
