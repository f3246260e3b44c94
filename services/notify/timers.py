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
        runtime = self.runtimes.for_settings(settings)
        rules = runtime.rules
        waves = max(1, -(-rules.batch_size // max(rules.parallel_sends, 1)))
        ttl = max(30.0, 3 * waves * rules.send_timeout_seconds)
        if not lease.try_acquire(engine, "notify-dispatch", self.holder, ttl):
            return 0
        due = due_notifications(engine, runtime, now)
        channels = self.channels or make_channels(rules)
        with ThreadPoolExecutor(max_workers=max(rules.parallel_sends, 1)) as pool:
            list(
                pool.map(
                    lambda notification_id: self._deliver(
                        engine, runtime, channels, notification_id, now
                    ),
                    due,
                )
            )
        return len(due)

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
        if not lease.try_acquire(engine, "notify-campaigns", self.holder, 60):
            return 0
        done = fan_out_batch(engine, runtime, now)
        complete_campaigns(engine, runtime, now)
        return done
