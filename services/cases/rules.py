"""The case SLA policy: a versioned TOML file, loaded once per path, applied by a pure function."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from services.cases.domain import CASE_TYPES, SlaPlan
from shared.rules_file import read_rules_file

PACKAGED_RULES = Path(__file__).with_name("rules.toml")


@dataclass(frozen=True)
class CaseRules:
    version: str
    warning_fraction: float
    sla: dict[str, timedelta]

    def plan(self, case_type: str, started_at: datetime) -> SlaPlan:
        """When a case of `case_type` started at `started_at` is warned about and due."""
        allowed = self.sla[case_type]
        return SlaPlan(
            rules_version=self.version,
            started_at=started_at,
            warning_at=started_at + allowed * self.warning_fraction,
            due_at=started_at + allowed,
        )


def parse_rules(raw: dict) -> CaseRules:
    """Refuse a policy that misses a case type or has nonsense numbers: fail at start-up."""
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError("cases rules: `version` must be a non-empty string")
    percent = raw.get("warning_at_percent")
    if not isinstance(percent, int | float) or not 0 < percent < 100:
        raise ValueError("cases rules: `warning_at_percent` must be between 0 and 100")
    minutes = raw.get("sla_minutes") or {}
    sla = {}
    for case_type in CASE_TYPES:
        value = minutes.get(case_type)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"cases rules: sla_minutes.{case_type} must be a positive integer")
        sla[case_type] = timedelta(minutes=value)
    return CaseRules(version=version, warning_fraction=percent / 100, sla=sla)


@lru_cache(maxsize=8)
def load_rules(path: str = "") -> CaseRules:
    """The rules at `path` (settings.rules_file), or the packaged file when it is ""."""
    return read_rules_file(path or PACKAGED_RULES, parse_rules)
