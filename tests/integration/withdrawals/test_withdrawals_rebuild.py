"""DOMAIN §9 story 6: the read models, dropped and rebuilt from the log, are identical."""

from web_support import bearer
from withdrawals_support import SYSTEM, TELLER, book, transfer, withdraw

from services.withdrawals.rules import seed_config

AUDITOR = bearer("auditor", "a-1")
VERSION = "2026-12-rebuilt"


def approved_rules_version(client) -> None:
    """A rules version proposed by one supervisor and approved by another (rules.md)."""
    config = seed_config()
    config.pop("version")
    config["holds"]["velocity"]["count"] = 4
    body = {"version": VERSION, "rules": config, "reason": "fewer velocity holds"}
    assert (
        client.post("/v1/rule-versions", json=body, headers=bearer("supervisor", "s-1")).status_code
        == 201
    )
    approval = {"reason": "agreed"}
    path = f"/v1/rule-versions/{VERSION}/approval"
    assert client.post(path, json=approval, headers=bearer("supervisor", "s-2")).status_code == 200


def reads(client, ids: dict) -> list:
    paths = [f"/v1/withdrawals/{w}" for w in ids["withdrawals"]]
    paths += [f"/v1/appointments/{a}" for a in ids["appointments"]]
    paths += ["/v1/withdrawals?limit=500", "/v1/withdrawals?account_id=acc_1&status=held"]
    paths += ["/v1/rule-versions", f"/v1/rule-versions/{VERSION}/diff"]
    return [(path, client.get(path, headers=AUDITOR).get_data()) for path in paths]


def test_dropping_and_replaying_the_projections_gives_the_same_state_and_answers(
    wd_app, client, story
):
    story.send(
        "cases",
        "CaseOpened",
        {
            "case_id": "case_s",
            "case_type": "suspicious_account",
            "account_id": "acc_1",
            "customer_id": "cus_1",
            "withdrawal_id": None,
            "source_event_id": None,
            "sla_due_at": None,
            "summary": "",
        },
    )
    approved_rules_version(client)
    kept = book(client).get_json()["id"]
    dropped = book(client, purpose="medical").get_json()["id"]
    client.delete(f"/v1/appointments/{dropped}", headers=TELLER)
    held = withdraw(client, amount="80000.00", purpose="investment", appointment_id=kept)
    approved = withdraw(client, SYSTEM, branch_id="HF-07")
    rejected = transfer(client, "60000.00")
    ids = {
        "withdrawals": [r.get_json()["id"] for r in (held, approved, rejected)],
        "appointments": [kept, dropped],
    }
    assert [r.get_json()["status"] for r in (held, approved, rejected)] == [
        "held",
        "held",
        "rejected",
    ]
    client.post(
        f"/v1/withdrawals/{ids['withdrawals'][1]}/cancellation",
        json={"reason": "customer left"},
        headers=SYSTEM,
    )
    projections = wd_app.extensions["warden"].spec.projections
    engine = wd_app.extensions["warden"].engine
    before, answers = projections.snapshot(engine), reads(client, ids)
    assert all(before.values()), "every read model has rows"

    replayed = projections.rebuild(engine)

    assert replayed >= 10
    assert projections.snapshot(engine) == before
    assert reads(client, ids) == answers
