"""The steps of DOMAIN §9's stories, over HTTP only, as the bank's systems and staff take them."""

import itertools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from conftest import eventually

BRANCH = "HF-01"  # the teller's; every opening, booking and request names it
TELLER = {"role": "teller", "sub": "t-001", "claims": {"branch_id": BRANCH}}
INVESTIGATOR = {"role": "investigator", "sub": "i-007"}
AUDITOR = {"role": "auditor", "sub": "a-001"}
_ids = itertools.count(1)


def liaison(unit: str) -> dict:
    return {"role": "police_liaison", "sub": f"p-{unit}", "claims": {"police_unit": unit}}


def today_in_shanghai() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def register_customer(api, birth: date, occupation: str = "retired", employer: str = "") -> dict:
    body = {
        "name": "王芳",
        "id_type": "resident_id",
        "id_number": f"34{birth:%Y%m%d}{next(_ids):08d}",
        "birth_date": birth.isoformat(),
        "phone": "13800001234",
        "email": "wang.fang@example.com",
        "occupation": occupation,
        "employer": employer,
        "preferred_language": "zh-CN",
    }
    return ok(api["accounts"].call("POST", "/v1/customers", json=body, **TELLER), 201)


def open_account(api, customer_id: str, documents=(), purpose="savings", detail="pension") -> dict:
    body = {
        "customer_id": customer_id,
        "account_class": "I",
        "purpose": purpose,
        "purpose_detail": detail,
        "channel": "counter",
        "documents": list(documents),
        "branch_id": BRANCH,
    }
    return ok(api["accounts"].call("POST", "/v1/accounts", json=body, **TELLER), 201)


def account(api, account_id: str) -> dict:
    return ok(api["accounts"].call("GET", f"/v1/accounts/{account_id}", **AUDITOR))


def book_appointment(api, account_id: str, amount: str, purpose: str) -> dict:
    body = {
        "account_id": account_id,
        "amount": amount,
        "currency": "CNY",
        "date": today_in_shanghai(),
        "branch_id": BRANCH,
        "purpose": purpose,
        "source_of_funds": "savings",
    }

    def booked():
        """withdrawals has heard of the account"""
        response = api["withdrawals"].call("POST", "/v1/appointments", json=body, **TELLER)
        return response.json() if response.status_code == 201 else None

    return eventually(booked)


def request_withdrawal(api, account_id: str, amount: str, channel: str, purpose: str, **extra):
    """Request it; a 404 means withdrawals has not heard of the account yet, so ask again."""
    body = {"account_id": account_id, "amount": amount, "currency": "CNY", "channel": channel,
            "purpose": purpose, "branch_id": BRANCH, **extra}  # fmt: skip
    if channel.endswith("_transfer"):
        body.setdefault("payee", {"name": "李强", "account": "6222000011112222"})

    def requested():
        """withdrawals has heard of the account"""
        response = api["withdrawals"].call("POST", "/v1/withdrawals", json=body, **TELLER)
        return None if response.status_code == 404 else ok(response, 201)

    return eventually(requested)


def withdrawal(api, withdrawal_id: str) -> dict:
    return ok(api["withdrawals"].call("GET", f"/v1/withdrawals/{withdrawal_id}", **AUDITOR))


def case_for(api, *, withdrawal_id=None, account_id=None, case_type) -> dict:
    def found():
        """the case has opened"""
        query = f"/v1/cases?type={case_type}&limit=500"
        items = ok(api["cases"].call("GET", query, **INVESTIGATOR))["items"]
        return next(
            (
                c
                for c in items
                if (withdrawal_id is None or c.get("withdrawal_id") == withdrawal_id)
                and (account_id is None or c.get("account_id") == account_id)
            ),
            None,
        )

    return eventually(found)


def cases_for(api, case_type: str) -> list:
    return ok(api["cases"].call("GET", f"/v1/cases?type={case_type}&limit=500", **AUDITOR))["items"]


def act(api, case_id: str, action: str, body: dict, who=INVESTIGATOR, status: int = 200):
    return ok(api["cases"].call("POST", f"/v1/cases/{case_id}/{action}", json=body, **who), status)


def notifications(api, customer_id: str) -> list:
    query = f"/v1/notifications?customer_id={customer_id}&limit=500"
    return ok(api["notify"].call("GET", query, **AUDITOR))["items"]


def notification_templates(api, customer_id: str) -> list[str]:
    return sorted(n["template"] for n in notifications(api, customer_id))


def event_types(api, service: str, path: str) -> list[str]:
    return [e["type"] for e in ok(api[service].call("GET", f"{path}/events", **AUDITOR))["items"]]


def history(api, service: str, path: str) -> list[dict]:
    return ok(api[service].call("GET", f"{path}/events", **AUDITOR))["items"]


def recorded(events: list[dict], event_type: str) -> datetime:
    (moment,) = [e["recorded_at"] for e in events if e["type"] == event_type]
    return datetime.fromisoformat(moment)


def hops(api, held: dict, case: dict) -> dict[str, float]:
    """Seconds each cross-service hop took, from the events' own recorded_at stamps."""
    withdrawal_events = history(api, "withdrawals", f"/v1/withdrawals/{held['id']}")
    case_events = history(api, "cases", f"/v1/cases/{case['id']}")
    held_event = next(e for e in withdrawal_events if e["type"] == "WithdrawalHeld")
    notification = history(api, "notify", f"/v1/notifications/ntf_{held_event['event_id']}")
    moved = "WithdrawalReleased" if held.get("outcome") == "cleared" else "WithdrawalBlocked"
    held_at = recorded(withdrawal_events, "WithdrawalHeld")
    return {
        "hold -> case opened": (recorded(case_events, "CaseOpened") - held_at).total_seconds(),
        "hold -> notification": (
            recorded(notification, "NotificationRequested") - held_at
        ).total_seconds(),
        "confirmation -> withdrawal moved": (
            recorded(withdrawal_events, moved)
            - recorded(case_events, "PoliceVerificationConfirmed")
        ).total_seconds(),
    }
