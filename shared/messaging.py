"""NATS JetStream connection and stream definitions shared by relays and consumers."""

import logging

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import BadRequestError

from shared.config import stream_name, subject_prefix

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 600


async def connect(url: str, name: str):
    """Connect with endless reconnects: a NATS restart must pause the worker, not kill it."""

    async def on_error(error: Exception) -> None:
        log.warning("nats %s: %s", name, error or type(error).__name__)

    client = None

    async def on_disconnect() -> None:
        if client is not None and client.is_closed:  # our own close: a stop, not an outage
            log.info("nats %s: closed", name)
            return
        log.warning("nats %s: disconnected, reconnecting", name)

    async def on_reconnect() -> None:
        log.info("nats %s: reconnected", name)

    client = await nats.connect(
        [server.strip() for server in url.split(",")],  # a cluster: comma-separated URLs
        name=name,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
    )
    return client


def stream_config(
    namespace: str, service: str, replicas: int = 1, partition: str = ""
) -> StreamConfig:
    """One stream per service (per partition of one, docs/scaling.md), on file storage,
    deduplicating by Nats-Msg-Id for 10 minutes."""
    return StreamConfig(
        name=stream_name(namespace, service, partition),
        subjects=[f"{subject_prefix(namespace, service, partition)}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_stream(
    js, namespace: str, service: str, replicas: int = 1, partition: str = ""
) -> str:
    """Create the service's stream, or bring an existing one to this configuration."""
    config = stream_config(namespace, service, replicas, partition)
    try:
        await js.add_stream(config)
    except BadRequestError:
        # Exists with different settings (e.g. replicas changed by an operator): update it.
        await js.update_stream(config)
    return config.name


def aggregate_config(
    namespace: str, service: str, partitions: tuple[str, ...], replicas: int = 1
) -> StreamConfig:
    """The unpartitioned stream of a partitioned service (WITHDRAWALS): no subjects of its own,
    it sources every partition's stream, so a consumer reads them all in one durable.
    Messages keep their subjects (withdrawals.north.…) and headers, Nats-Msg-Id included."""
    return StreamConfig(
        name=stream_name(namespace, service),
        sources=[StreamSource(name=stream_name(namespace, service, p)) for p in partitions],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_source_stream(
    js, namespace: str, source: str, partitions: tuple[str, ...], replicas: int = 1
) -> str:
    """The stream a consumer of `source` reads: the service's own, or, when it runs in
    partitions, every partition's stream and the aggregate that sources them."""
    if not partitions:
        return await ensure_stream(js, namespace, source, replicas)
    for partition in partitions:
        await ensure_stream(js, namespace, source, replicas, partition)
    config = aggregate_config(namespace, source, partitions, replicas)
    try:
        await js.add_stream(config)
    except BadRequestError:  # exists: a partition added or removed, replicas changed
        await js.update_stream(config)
    return config.name
