"""A case's events told as sentences an investigator, a supervisor or an auditor can read."""

from collections.abc import Callable, Iterable

from shared.envelope import StoredEvent

NOTE_PREVIEW = 120
CONTACTS = {"phone": "a phone call with", "in_person": "an in-person talk with", "sms": "an SMS to"}


def _preview(text: str) -> str:
    return text if len(text) <= NOTE_PREVIEW else text[: NOTE_PREVIEW - 1] + "…"


def _assigned(who: str, data: dict, units: dict) -> str:
    if data["assigned_by"] == data["assignee"]:
        return f"{who} claimed the case"
    return f"{who} assigned the case to {data['assignee']}"


def _restriction(who: str, data: dict, units: dict) -> str:
    until = f" until {data['expires_at']}" if data.get("expires_at") else ""
    return (
        f"{who} requested a {data['type']} restriction on account {data['account_id']}{until}: "
        f"{data['reason']}"
    )


def _confirmed(who: str, data: dict, units: dict) -> str:
    unit = units.get(data["verification_id"], "the police")
    return (
        f"{who} of {unit} confirmed verification {data['verification_id']}: {data['outcome']} "
        f"(reference {data['police_reference']}, officer {data['officer']})"
    )


SENTENCES: dict[str, Callable[[str, dict, dict], str]] = {
    "CaseOpened": lambda who, d, _: f"{who} opened a {d['case_type']} case: {d['summary']}",
    "CaseFactsRecorded": lambda who, d, _: (
        f"{who} recorded the facts the case was opened on; SLA due {d['sla']['due_at']} "
        f"(rules {d['sla']['rules_version']})"
    ),
    "CaseAssigned": _assigned,
    "CaseNoteAdded": lambda who, d, _: f"{who} added a note: {_preview(d['text'])}",
    "CustomerContactRecorded": lambda who, d, _: (
        f"{who} recorded {CONTACTS.get(d['channel'], 'a contact with')} the customer "
        f"({d['outcome'].replace('_', ' ')}): {_preview(d['summary'])}"
    ),
    "PoliceVerificationRequested": lambda who, d, _: (
        f"{who} requested police verification from {d['police_unit']}"
    ),
    "CaseViewedByPolice": lambda who, d, _: (
        f"{who} of {d['police_unit']} viewed verification {d['verification_id']}"
    ),
    "PoliceVerificationConfirmed": _confirmed,
    "CaseEscalated": lambda who, d, _: f"{who} escalated the case: {d['reason']}",
    "CaseSlaWarning": lambda who, d, _: (
        f"SLA warning: most of the time to {d['sla_due_at']} has passed"
    ),
    "CaseSlaBreached": lambda who, d, _: (
        f"SLA breached at {d['sla_due_at']}; the case moved to the supervisors' queue"
    ),
    "AccountRestrictionRequested": _restriction,
    "CaseResolved": lambda who, d, _: f"{who} resolved the case as {d['outcome']}: {d['reason']}",
    "CaseClosed": lambda who, d, _: f"{who} closed the case: {d['reason']}",
    "CaseReopened": lambda who, d, _: f"{who} reopened the case: {d['reason']}",
}


def timeline(events: Iterable[StoredEvent]) -> list[dict]:
    """One entry per event, in order: when, who, what happened in words, and the event type."""
    units: dict[str, str] = {}
    entries = []
    for event in events:
        if event.type == "PoliceVerificationRequested":
            units[event.data["verification_id"]] = event.data["police_unit"]
        actor = event.metadata.get("actor") or {}
        sentence = SENTENCES.get(event.type)
        who = actor.get("sub", "someone")
        entries.append(
            {
                "at": event.metadata.get("occurred_at"),
                "actor": actor,
                "action": sentence(who, event.data, units) if sentence else event.type,
                "event_type": event.type,
            }
        )
    return entries
