"""The screening rules as data: every threshold of DOMAIN §6 from a versioned TOML file."""

from dataclasses import dataclass
from pathlib import Path

from shared.money import to_fen
from shared.rules_file import read_rules_file

PACKAGED_RULES = Path(__file__).with_name("rules.toml")


class RulesError(ValueError):
    """The rules file is missing a setting or holds one of the wrong shape."""


@dataclass(frozen=True)
class Rules:
    """Every number and list of DOMAIN §6 screening; amounts in fen."""

    version: str
    non_counter_channels: frozenset[str]
    elderly_age: int
    student_occupations: frozenset[str]
    freezing_restrictions: frozenset[str]
    non_counter_restrictions: frozenset[str]
    active_statuses: frozenset[str]
    registration_threshold: int
    appointment_channels: frozenset[str]
    risky_purposes: frozenset[str]
    risky_purpose_threshold: int
    elderly_segments: frozenset[str]
    elderly_channels: frozenset[str]
    elderly_threshold: int
    new_account_days: int
    new_account_threshold: int
    high_risk_tiers: frozenset[str]
    high_risk_threshold: int
    velocity_window_hours: int
    velocity_count: int
    velocity_total: int
    velocity_ignored_statuses: frozenset[str]
    daily_counted_statuses: frozenset[str]


def load_rules(path: str | Path = "") -> Rules:
    """The rules at `path` (settings.rules_file), or the file this package ships."""
    return read_rules_file(path or PACKAGED_RULES, parse_rules)


def seed_config(path: str | Path = "") -> dict:
    """The rules file as it is written (its tables as nested dicts), for showing and diffing."""
    return read_rules_file(path or PACKAGED_RULES, lambda raw: raw)


def parse_rules(raw: dict) -> Rules:
    def get(dotted: str, kind: type):
        value = raw
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                raise RulesError(f"the rules need {dotted}")
            value = value[part]
        if kind is frozenset:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RulesError(f"{dotted} must be a list of strings")
            return frozenset(value)
        if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise RulesError(f"{dotted} must be a whole number, 0 or more")
        if kind == "money":
            try:
                return to_fen(value)
            except ValueError as exc:
                raise RulesError(f'{dotted} must be an amount such as "50000.00"') from exc
        if kind is str and (not isinstance(value, str) or not value):
            raise RulesError(f"{dotted} must be a non-empty string")
        return value

    return Rules(
        version=get("version", str),
        non_counter_channels=get("channels.non_counter", frozenset),
        elderly_age=get("segments.elderly_age", int),
        student_occupations=get("segments.student_occupations", frozenset),
        freezing_restrictions=get("rejections.freezing_restrictions", frozenset),
        non_counter_restrictions=get("rejections.non_counter_restrictions", frozenset),
        active_statuses=get("rejections.active_statuses", frozenset),
        registration_threshold=get("appointments.registration_threshold", "money"),
        appointment_channels=get("appointments.channels", frozenset),
        risky_purposes=get("holds.risky_purpose.purposes", frozenset),
        risky_purpose_threshold=get("holds.risky_purpose.threshold", "money"),
        elderly_segments=get("holds.elderly_large_cash.segments", frozenset),
        elderly_channels=get("holds.elderly_large_cash.channels", frozenset),
        elderly_threshold=get("holds.elderly_large_cash.threshold", "money"),
        new_account_days=get("holds.new_account_large.days", int),
        new_account_threshold=get("holds.new_account_large.threshold", "money"),
        high_risk_tiers=get("holds.high_risk_tier.tiers", frozenset),
        high_risk_threshold=get("holds.high_risk_tier.threshold", "money"),
        velocity_window_hours=get("holds.velocity.window_hours", int),
        velocity_count=get("holds.velocity.count", int),
        velocity_total=get("holds.velocity.total", "money"),
        velocity_ignored_statuses=get("holds.velocity.ignored_statuses", frozenset),
        daily_counted_statuses=get("daily_total.counted_statuses", frozenset),
    )
