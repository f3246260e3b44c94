"""Screening rules as governed data: a version is proposed, then approved by someone else.

A rules version is an aggregate of its own (stream `rules-<version>`; the version label is its
id, so a label names one configuration for ever, and a decision's `rules_version` says which).
A supervisor proposes the whole configuration (the shape of rules.toml, checked by
`parse_rules`) with a reason; a different supervisor approves it (four eyes) with a reason and
the moment it takes effect, or rejects it; when the moment has come, a timer records that it
took effect and which version it replaced. The rules file a service starts with is the seed:
it screens until an approved version takes effect, and it cannot be proposed again.

Pure: commands in, events out; no I/O, no clock (the caller passes `now`).
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime

from services.withdrawals.domain import InvalidInput, InvalidTransition, UnknownAggregate
from services.withdrawals.rules import Rules, RulesError, parse_rules
from shared.aggregate import Aggregate
from shared.envelope import NewEvent, iso

VERSION_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
STATUSES = ("proposed", "approved", "rejected")


class NotYourApproval(Exception):
    """Four eyes: the proposer may not approve or reject their own version (403)."""


def stream_id(version: str) -> str:
    return f"rules-{version}"


@dataclass(frozen=True)
class RulesVersion:
    version: str | None = None
    status: str | None = None
    config: dict | None = None
    proposed_by: str | None = None
    activates_at: str | None = None
    activated: bool = False


def evolve(state: RulesVersion, event) -> RulesVersion:
    data = event.data
    if event.type == "RulesVersionProposed":
        return RulesVersion(data["version"], "proposed", data["config"], data["proposed_by"])
    if event.type == "RulesVersionApproved":
        return replace(state, status="approved", activates_at=data["activates_at"])
    if event.type == "RulesVersionRejected":
        return replace(state, status="rejected")
    if event.type == "RulesVersionActivated":
        return replace(state, activated=True)
    return state


RULES_VERSION = Aggregate(name="rules_version", initial=RulesVersion(), evolve=evolve)


def checked_rules(config: dict, version: str) -> Rules:
    """The configuration as screening will read it, or InvalidInput naming what is wrong."""
    if not VERSION_LABEL.fullmatch(version):
        raise InvalidInput("version", "Must be 1 to 40 letters, digits, '.', '_' or '-'.")
    if config.get("version", version) != version:
        message = f"Must be {version!r}, the version proposed, or left out."
        raise InvalidInput("rules.version", message)
    try:
        return parse_rules({**config, "version": version})
    except RulesError as exc:
        raise InvalidInput("rules", f"{str(exc).capitalize()}.") from exc


def decide_propose(
    state: RulesVersion, version: str, config: dict, reason: str, by: str, seed_version: str
) -> list[NewEvent]:
    checked_rules(config, version)
    if state.status is not None or version == seed_version:
        raise InvalidTransition(f"rules version {version} exists already; propose a new label")
    data = {
        "version": version,
        "config": {**config, "version": version},
        "reason": reason,
        "proposed_by": by,
    }
    return [NewEvent("RulesVersionProposed", data)]


def _reviewable(state: RulesVersion, by: str) -> None:
    if state.status is None:
        raise UnknownAggregate("no such rules version")
    if state.status != "proposed":
        raise InvalidTransition(f"rules version {state.version} is {state.status} already")
    if by == state.proposed_by:
        raise NotYourApproval(
            "A rules version is approved or rejected by a supervisor other than its proposer."
        )


def decide_approve(
    state: RulesVersion, by: str, reason: str, activates_at: datetime | None, now: datetime
) -> list[NewEvent]:
    """Approve; it takes effect at `activates_at` (never in the past: nothing is backdated)."""
    _reviewable(state, by)
    if activates_at is not None and activates_at < now:
        raise InvalidInput("activates_at", "Must be now or later: a version is never backdated.")
    effective = activates_at or now
    data = {
        "version": state.version,
        "approved_by": by,
        "reason": reason,
        "activates_at": iso(effective),
    }
    return [NewEvent("RulesVersionApproved", data)]


def decide_reject(state: RulesVersion, by: str, reason: str) -> list[NewEvent]:
    _reviewable(state, by)
    data = {"version": state.version, "rejected_by": by, "reason": reason}
    return [NewEvent("RulesVersionRejected", data)]


def decide_record_activation(state: RulesVersion, now: datetime, replaced: str) -> list[NewEvent]:
    """Once its moment has come, record that the version took effect and which one it replaced.

    The version screens from `activates_at` whether or not this is recorded yet (screening reads
    the approval); the record is the audit trail's "from then on", written once by a timer.
    """
    if state.status != "approved" or state.activated or state.activates_at > iso(now):
        return []
    data = {"version": state.version, "activated_at": state.activates_at, "replaced": replaced}
    return [NewEvent("RulesVersionActivated", data)]


def differences(older: dict, newer: dict, prefix: str = "") -> list[dict]:
    """Every setting that differs, by dotted path, as {path, from, to} (None: absent)."""
    changed = []
    for key in sorted(set(older) | set(newer)):
        path = f"{prefix}{key}"
        before, after = older.get(key), newer.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            changed += differences(before, after, f"{path}.")
        elif before != after:
            changed.append({"path": path, "from": before, "to": after})
    return changed
