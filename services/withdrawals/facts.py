"""Facts learned from accounts and cases events, recorded in this service's own log first.

Screening reads only projections of this service's log, so every decision can be explained,
and `warden rebuild withdrawals` is exact, from this log alone. Each translation is pure and
records only the fields that changed, so a redelivered event records nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from shared.aggregate import Aggregate
from shared.envelope import NewEvent
from shared.masking import mask_id_number, name_initial

LIST_FACTS = ("restrictions", "open_case_ids")


def account_view_id(account_id: str) -> str:
    return f"acctview-{account_id}"


def customer_view_id(customer_id: str) -> str:
    return f"custview-{customer_id}"


@dataclass(frozen=True)
class AccountView:
    account_id: str | None = None
    customer_id: str | None = None
    branch_id: str | None = None
    status: str | None = None
    risk_tier: str | None = None
    limits: dict | None = None
    verification_method: str | None = None
    restrictions: tuple = ()
    opened_at: str | None = None
    open_case_ids: tuple = ()


@dataclass(frozen=True)
class CustomerView:
    customer_id: str | None = None
    birth_date: str | None = None
    occupation: str | None = None
    name_initial: str | None = None
    id_number_masked: str | None = None
    preferred_language: str | None = None


def _merge(state, facts: dict):
    known = {f.name for f in fields(state)}
    values = {k: tuple(v) if k in LIST_FACTS else v for k, v in facts.items() if k in known}
    return replace(state, **values)


def evolve_account_view(state: AccountView, event) -> AccountView:
    if event.type != "AccountFactsRecorded":
        return state
    return _merge(replace(state, account_id=event.data["account_id"]), event.data["facts"])


def evolve_customer_view(state: CustomerView, event) -> CustomerView:
    if event.type != "CustomerFactsRecorded":
        return state
    return _merge(replace(state, customer_id=event.data["customer_id"]), event.data["facts"])


ACCOUNT_VIEW = Aggregate(name="account_view", initial=AccountView(), evolve=evolve_account_view)
CUSTOMER_VIEW = Aggregate(name="customer_view", initial=CustomerView(), evolve=evolve_customer_view)


def _opening(view: AccountView, data: dict) -> dict:
    return {
        "customer_id": data["customer_id"],
        "branch_id": data.get("branch_id"),
        "status": data["status"],
        "risk_tier": data.get("risk_tier"),
        "limits": data.get("limits"),
        "verification_method": data.get("verification_method"),
        "opened_at": data.get("opened_at"),
    }


def _refused(view: AccountView, data: dict) -> dict:
    return {"customer_id": data["customer_id"], "status": "refused"}


def _activated(view: AccountView, data: dict) -> dict:
    return {
        "customer_id": data["customer_id"],
        "status": "active",
        "risk_tier": data["risk_tier"],
        "limits": data["limits"],
        "verification_method": data.get("verification_method"),
    }


def _tier_changed(view: AccountView, data: dict) -> dict:
    return {
        "risk_tier": data["to_tier"],
        "limits": data["limits"],
        "verification_method": data.get("verification_method"),
    }


def _without_restriction(view: AccountView, restriction_id: str) -> list:
    return [dict(r) for r in view.restrictions if r["id"] != restriction_id]


def _restricted(view: AccountView, data: dict) -> dict:
    restriction = {
        "id": data["restriction_id"],
        "type": data["type"],
        "reason": data.get("reason"),
        "source": data.get("source"),
        "expires_at": data.get("expires_at"),
    }
    return {"restrictions": _without_restriction(view, data["restriction_id"]) + [restriction]}


def _restriction_lifted(view: AccountView, data: dict) -> dict:
    return {"restrictions": _without_restriction(view, data["restriction_id"])}


def _closed(view: AccountView, data: dict) -> dict:
    return {"status": "closed"}


ACCOUNT_FACTS: dict[str, Callable[[AccountView, dict], dict]] = {
    "AccountOpened": _opening,
    "AccountOpeningReferred": _opening,
    "AccountOpeningRefused": _refused,
    "AccountActivated": _activated,
    "RiskTierChanged": _tier_changed,
    "AccountRestricted": _restricted,
    "AccountRestrictionLifted": _restriction_lifted,
    "AccountClosed": _closed,
}


def case_opened(view: AccountView, case_id: str) -> dict:
    if case_id in view.open_case_ids:
        return {}
    return {"open_case_ids": [*view.open_case_ids, case_id]}


def case_closed(view: AccountView, case_id: str) -> dict:
    return {"open_case_ids": [c for c in view.open_case_ids if c != case_id]}


def customer_facts(event_type: str, data: dict) -> dict:
    """Only what screening and a case need: birth date, occupation, masked identity, language."""
    if event_type == "CustomerRegistered":
        return {
            "birth_date": data["birth_date"],
            "occupation": data.get("occupation"),
            "name_initial": name_initial(data.get("name") or ""),
            "id_number_masked": mask_id_number(data.get("id_number") or ""),
            "preferred_language": data.get("preferred_language") or "zh-CN",
        }
    return {"preferred_language": data["preferred_language"]}


def _changed(state, proposed: dict) -> dict:
    def plain(value):
        return (
            [dict(v) if isinstance(v, dict) else v for v in value]
            if isinstance(value, tuple)
            else value
        )

    return {k: v for k, v in proposed.items() if plain(getattr(state, k)) != v}


def decide_account_facts(
    view: AccountView, account_id: str, source: dict, proposed: dict
) -> list[NewEvent]:
    """Record what changed about an account; nothing when nothing did."""
    facts = _changed(view, proposed)
    if not facts:
        return []
    data = {"account_id": account_id, "source": source, "facts": facts}
    return [NewEvent("AccountFactsRecorded", data)]


def decide_customer_facts(
    view: CustomerView, customer_id: str, source: dict, proposed: dict
) -> list[NewEvent]:
    facts = _changed(view, proposed)
    if not facts:
        return []
    data = {"customer_id": customer_id, "source": source, "facts": facts}
    return [NewEvent("CustomerFactsRecorded", data)]
