"""Notify's policy from its rules file (TOML), with a few environment overrides for operators."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from shared.config import Settings
from shared.rules_file import read_rules_file

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
    environment = os.environ if env is None else env
    return read_rules_file(path, lambda raw: rules_from(raw, settings.timezone, environment))


def rules_from(raw: dict, timezone: str, env: Mapping[str, str]) -> Rules:
    """The rules from the file's TOML; a wrong value raises ValueError naming its key."""

    def get(dotted: str, kind, default):
        value = raw
        for part in dotted.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else {}
        if value == {}:
            return default
        try:
            if kind in (int, float) and isinstance(value, bool):
                raise ValueError
            return kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"{dotted} must be {_KIND_WORDS[kind]}, not {value!r}") from None

    values = {
        "version": get("version", str, "unversioned"),
        "timezone": timezone,
        "hotline": get("hotline", str, "400-000-0000"),
        "hold_sla_minutes": get("hold_sla_minutes", int, 120),
        "quiet_start": _clock(get("quiet_hours.start", str, "22:00")),
        "quiet_end": _clock(get("quiet_hours.end", str, "08:00")),
        "sms_part_limits": get("sms.part_limit", dict, {"zh-CN": 70, "en": 160}),
        "default_order": _channels(get("delivery.default_order", list, list(CUSTOMER_CHANNELS))),
        "max_attempts_per_channel": get("delivery.max_attempts_per_channel", int, 3),
        "backoff_base_seconds": get("delivery.backoff_base_seconds", float, 2.0),
        "backoff_factor": get("delivery.backoff_factor", float, 2.0),
        "backoff_max_seconds": get("delivery.backoff_max_seconds", float, 600.0),
        "batch_size": get("delivery.batch_size", int, 20),
        "send_timeout_seconds": get("delivery.send_timeout_seconds", float, 5.0),
        "parallel_sends": get("delivery.parallel_sends", int, 4),
        "campaign_batch_size": get("campaigns.batch_size", int, 200),
        "enabled_channels": _channels(get("channels.enabled", list, ["log"])),
        "smtp_host": get("channels.email.host", str, "127.0.0.1"),
        "smtp_port": get("channels.email.port", int, 25),
        "smtp_sender": get("channels.email.sender", str, "no-reply@warden.example"),
        "sms_url": get("channels.sms.url", str, ""),
        "push_url": get("channels.push.url", str, ""),
    }
    for variable, name in ENV_OVERRIDES.items():
        if variable in env:
            values[name] = _override(name, env[variable])
    return Rules(**values)


_KIND_WORDS = {
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a table",
}


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
