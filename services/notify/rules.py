"""Notify's policy from its rules file (TOML), with a few environment overrides for operators."""

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from shared.config import Settings

SHIPPED_RULES = Path(__file__).with_name("rules.toml")
CHANNELS = ("sms", "email", "push", "log")
CUSTOMER_CHANNELS = ("sms", "email", "push")

# Environment variables that win over the file, so one image serves every environment.
ENV_OVERRIDES = {
    "WARDEN_NOTIFY_HOTLINE": "hotline",
    "WARDEN_NOTIFY_CHANNELS": "enabled_channels",
    "WARDEN_NOTIFY_SMTP_HOST": "smtp_host",
    "WARDEN_NOTIFY_SMTP_PORT": "smtp_port",
    "WARDEN_NOTIFY_SMTP_SENDER": "smtp_sender",
    "WARDEN_NOTIFY_SMS_URL": "sms_url",
    "WARDEN_NOTIFY_PUSH_URL": "push_url",
}


@dataclass(frozen=True)
class Rules:
    """Everything notify decides by that is not a fact: numbers, addresses, switches."""

    version: str
    timezone: str
    hotline: str
    hold_sla_minutes: int
    quiet_start: time
    quiet_end: time
    sms_part_limits: Mapping[str, int]
    default_order: tuple[str, ...]
    max_attempts_per_channel: int
    backoff_base_seconds: float
    backoff_factor: float
    backoff_max_seconds: float
    batch_size: int
    send_timeout_seconds: float
    parallel_sends: int
    campaign_batch_size: int
    enabled_channels: tuple[str, ...]
    smtp_host: str
    smtp_port: int
    smtp_sender: str
    sms_url: str
    push_url: str

    def sms_limit(self, language: str) -> int:
        return self.sms_part_limits.get(language, min(self.sms_part_limits.values()))


def load_rules(settings: Settings, env: Mapping[str, str] | None = None) -> Rules:
    """Read the service's rules file (the shipped one unless `rules_file` names another)."""
    path = Path(settings.rules_file) if settings.rules_file else SHIPPED_RULES
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return rules_from(raw, settings.timezone, os.environ if env is None else env)


def rules_from(raw: dict, timezone: str, env: Mapping[str, str]) -> Rules:
    delivery, channels = raw.get("delivery", {}), raw.get("channels", {})
    values = {
        "version": str(raw.get("version", "unversioned")),
        "timezone": timezone,
        "hotline": str(raw.get("hotline", "400-000-0000")),
        "hold_sla_minutes": int(raw.get("hold_sla_minutes", 120)),
        "quiet_start": _clock(raw.get("quiet_hours", {}).get("start", "22:00")),
        "quiet_end": _clock(raw.get("quiet_hours", {}).get("end", "08:00")),
        "sms_part_limits": dict(raw.get("sms", {}).get("part_limit", {"zh-CN": 70, "en": 160})),
        "default_order": _channels(delivery.get("default_order", CUSTOMER_CHANNELS)),
        "max_attempts_per_channel": int(delivery.get("max_attempts_per_channel", 3)),
        "backoff_base_seconds": float(delivery.get("backoff_base_seconds", 2.0)),
        "backoff_factor": float(delivery.get("backoff_factor", 2.0)),
        "backoff_max_seconds": float(delivery.get("backoff_max_seconds", 600.0)),
        "batch_size": int(delivery.get("batch_size", 20)),
        "send_timeout_seconds": float(delivery.get("send_timeout_seconds", 5.0)),
        "parallel_sends": int(delivery.get("parallel_sends", 4)),
        "campaign_batch_size": int(raw.get("campaigns", {}).get("batch_size", 200)),
        "enabled_channels": _channels(channels.get("enabled", ["log"])),
        "smtp_host": str(channels.get("email", {}).get("host", "127.0.0.1")),
        "smtp_port": int(channels.get("email", {}).get("port", 25)),
        "smtp_sender": str(channels.get("email", {}).get("sender", "no-reply@warden.example")),
        "sms_url": str(channels.get("sms", {}).get("url", "")),
        "push_url": str(channels.get("push", {}).get("url", "")),
    }
    for variable, name in ENV_OVERRIDES.items():
        if variable in env:
            values[name] = _override(name, env[variable])
    return Rules(**values)


def _override(name: str, raw: str):
    if name == "enabled_channels":
        return _channels([part.strip() for part in raw.split(",") if part.strip()])
    if name == "smtp_port":
        return int(raw)
    return raw


def _channels(names) -> tuple[str, ...]:
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown notification channels {unknown}; known: {list(CHANNELS)}")
    return tuple(names)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
