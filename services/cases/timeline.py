"""A case's events told as sentences an investigator, a supervisor or an auditor can read.

Each sentence is a template with named parts, so the API tells it in English and the console
in the reader's language from the same table (`N_` marks the templates for translation).
"""

from collections.abc import Callable, Iterable

from shared.envelope import StoredEvent

NOTE_PREVIEW = 120


def N_(template: str) -> str:
    """Mark a template for the translation catalog; it is translated where it is shown."""
    return template


CONTACT_TEMPLATES = {
    "phone": N_(
        "%(who)s recorded a phone call with the customer (%(contact_outcome)s): %(summary)s"
    ),
    "in_person": N_(
        "%(who)s recorded an in-person talk with the customer (%(contact_outcome)s): %(summary)s"
    ),
    "sms": N_("%(who)s recorded an SMS to the customer (%(contact_outcome)s): %(summary)s"),
}
Sentence = tuple[str, dict]


def _preview(text: str) -> str:
    return text if len(text) <= NOTE_PREVIEW else text[: NOTE_PREVIEW - 1] + "…"


def _assigned(data: dict, units: dict) -> Sentence:
    if data["assigned_by"] == data["assignee"]:
        return N_("%(who)s claimed the case"), {}
    return N_("%(who)s assigned the case to %(assignee)s"), {"assignee": data["assignee"]}


def _contact(data: dict, units: dict) -> Sentence:
    template = CONTACT_TEMPLATES.get(
        data["channel"],
        N_("%(who)s recorded a contact with the customer (%(contact_outcome)s): %(summary)s"),
    )
    return template, {"contact_outcome": data["outcome"], "summary": _preview(data["summary"])}


def _restriction(data: dict, units: dict) -> Sentence:
    parts = {"type": data["type"], "account_id": data["account_id"], "reason": data["reason"]}
    if data.get("expires_at"):
        template = N_(
            "%(who)s requested a %(type)s restriction on account %(account_id)s until "
            "%(expires_at)s: %(reason)s"
        )
        return template, {**parts, "expires_at": data["expires_at"]}
    return N_(
        "%(who)s requested a %(type)s restriction on account %(account_id)s: %(reason)s"
    ), parts


def _refused(data: dict, units: dict) -> Sentence:
    """accounts' answer: `refusal` is its code (words for a page), `reason` its own sentence."""
    template = N_(
        "Accounts refused the restriction (%(type)s) on account %(account_id)s: %(refusal)s"
    )
    return template, {
        "type": data["type"],
        "account_id": data["account_id"],
        "refusal": data["reason_code"],
        "reason": data["reason"],
    }


def _confirmed(data: dict, units: dict) -> Sentence:
    template = N_(
        "%(who)s of %(unit)s confirmed verification %(verification_id)s: %(outcome)s "
        "(reference %(police_reference)s, officer %(officer)s)"
    )
    return template, {
        "unit": units.get(data["verification_id"]),  # None: told as "the police"
        "verification_id": data["verification_id"],
        "outcome": data["outcome"],
        "police_reference": data["police_reference"],
        "officer": data["officer"],
    }


def _simple(template: str, *keys: str) -> Callable[[dict, dict], Sentence]:
    return lambda data, units: (template, {key: data[key] for key in keys})


SENTENCES: dict[str, Callable[[dict, dict], Sentence]] = {
    "CaseOpened": _simple(
        N_("%(who)s opened a %(case_type)s case: %(summary)s"), "case_type", "summary"
    ),
    "CaseFactsRecorded": lambda d, _: (
        N_(
            "%(who)s recorded the facts the case was opened on; SLA due %(due_at)s "
            "(rules %(rules_version)s)"
        ),
        {"due_at": d["sla"]["due_at"], "rules_version": d["sla"]["rules_version"]},
    ),
    "CaseAssigned": _assigned,
    "CaseNoteAdded": lambda d, _: (
        N_("%(who)s added a note: %(text)s"),
        {"text": _preview(d["text"])},
    ),
    "CustomerContactRecorded": _contact,
    "PoliceVerificationRequested": _simple(
        N_("%(who)s requested police verification from %(police_unit)s"), "police_unit"
    ),
    "CaseViewedByPolice": _simple(
        N_("%(who)s of %(police_unit)s viewed verification %(verification_id)s"),
        "police_unit",
        "verification_id",
    ),
    "PoliceVerificationConfirmed": _confirmed,
    "CaseEscalated": _simple(N_("%(who)s escalated the case: %(reason)s"), "reason"),
    "CaseSlaWarning": _simple(
        N_("SLA warning: most of the time to %(sla_due_at)s has passed"), "sla_due_at"
    ),
    "CaseSlaBreached": _simple(
        N_("SLA breached at %(sla_due_at)s; the case moved to the supervisors' queue"),
        "sla_due_at",
    ),
    "AccountRestrictionRequested": _restriction,
    "RestrictionRefusalRecorded": _refused,
    "CaseResolved": _simple(
        N_("%(who)s resolved the case as %(outcome)s: %(reason)s"), "outcome", "reason"
    ),
    "CaseClosed": _simple(N_("%(who)s closed the case: %(reason)s"), "reason"),
    "CaseReopened": _simple(N_("%(who)s reopened the case: %(reason)s"), "reason"),
}


def _in_english(parts: dict) -> dict:
    """Codes an English sentence reads as words ("customer insists"), and who was unknown."""
    told = {**parts, "who": parts["who"] or "someone"}
    if "unit" in told:
        told["unit"] = told["unit"] or "the police"
    if "contact_outcome" in told:
        told["contact_outcome"] = told["contact_outcome"].replace("_", " ")
    if "refusal" in told:
        told["refusal"] = told.get("reason") or told["refusal"]
    return told


def timeline(events: Iterable[StoredEvent]) -> list[dict]:
    """One entry per event, in order: when, who, what happened in words, and the event type.

    `sentence` keeps the template and its parts for a reader in another language.
    """
    units: dict[str, str] = {}
    entries = []
    for event in events:
        if event.type == "PoliceVerificationRequested":
            units[event.data["verification_id"]] = event.data["police_unit"]
        actor = event.metadata.get("actor") or {}
        who = actor.get("sub")
        telling = SENTENCES.get(event.type)
        template, parts = telling(event.data, units) if telling else ("%(event_type)s", {})
        parts = {"who": who, "event_type": event.type, **parts}
        entries.append(
            {
                "at": event.metadata.get("occurred_at"),
                "actor": actor,
                "action": template % _in_english(parts),
                "event_type": event.type,
                "sentence": {"template": template, "parts": parts},
            }
        )
    return entries
