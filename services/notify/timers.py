"""The worker's timers: send due notifications, and fan campaigns out to their recipients."""

import logging
import os
import random
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Engine

from services.notify.application import NotifyRuntime, Runtimes
from services.notify.channels import Channel, make_channels
from services.notify.delivery import Jitter
from services.notify.dispatch import deliver, due_notifications
from services.notify.fan_out import complete_campaigns, fan_out_batch
from shared import lease
from shared.config import Settings

log = logging.getLogger(__name__)


def worker_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    """Sends a bounded batch of due notifications per tick, each send bounded by a timeout.

    Consumers only record requests, so a slow provider delays its own messages and nothing
    else. Outcomes are recorded only for the attempt that was made (decide_outcome), so a
    second worker racing on the same notification records nothing twice.
    """

    def __init__(
        self,
        runtimes: Runtimes,
        channels: Mapping[str, Channel] | None = None,
        jitter: Jitter = random.random,
        holder: str | None = None,
    ):
        self.runtimes = runtimes
        self.channels = channels
        self.jitter = jitter
        self.holder = holder or worker_holder()

    def run(self, engine: Engine, settings: Settings, now: datetime) -> int:
        """Send what is due, one wave of parallel sends at a time, renewing the lease before each.

        The lease keeps two workers from sending the same batch; it outlives one wave (whose
        sends are bounded by their timeout), so a worker that dies hands over within seconds.
        """
        runtime = self.runtimes.for_settings(settings)
        rules = runtime.rules
        ttl = max(settings.relay_lease_seconds, 3 * rules.send_timeout_seconds)
        if not lease.try_acquire(engine, "notify-dispatch", self.holder, ttl):
            return 0
        due = due_notifications(engine, runtime, now)
        channels = self.channels or make_channels(rules, settings)
        wave_size, sent = max(rules.parallel_sends, 1), 0
        with ThreadPoolExecutor(max_workers=wave_size) as pool:
            for start in range(0, len(due), wave_size):
                if start and not lease.try_acquire(engine, "notify-dispatch", self.holder, ttl):
                    break
                wave = due[start : start + wave_size]
                list(pool.map(lambda i: self._deliver(engine, runtime, channels, i, now), wave))
                sent += len(wave)
        return sent

    def _deliver(self, engine, runtime: NotifyRuntime, channels, notification_id: str, now):
        try:
            deliver(engine, runtime, channels, notification_id, now, self.jitter)
        except Exception:  # one bad notification must not stop the batch
            log.exception("delivering %s failed; it stays due", notification_id)


class CampaignFanOut:
    """Turns a bounded batch of pending recipients into notifications per tick.

    Idempotent: each recipient's notification id is ntf_<campaign>_<customer>, and a batch
    commits with the recipients' outcomes in one transaction.
    """

    def __init__(self, runtimes: Runtimes, holder: str | None = None):
        self.runtimes = runtimes
        self.holder = holder or worker_holder()

    def run(self, engine: Engine, settings: Settings, now: datetime) -> int:
        runtime = self.runtimes.for_settings(settings)
        ttl = max(settings.relay_lease_seconds, 15.0)  # a dead worker hands over quickly
        if not lease.try_acquire(engine, "notify-campaigns", self.holder, ttl):
            return 0
        done = fan_out_batch(engine, runtime, now)
        complete_campaigns(engine, runtime, now)
        return done
