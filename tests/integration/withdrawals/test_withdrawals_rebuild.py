"""DOMAIN §9 story 6: the read models, dropped and rebuilt from the log, are identical."""

from web_support import bearer
from withdrawals_support import SYSTEM, TELLER, book, transfer, withdraw

AUDITOR = bearer("auditor", "a-1")


def reads(client, ids: dict) -> list:
    paths = [f"/v1/withdrawals/{w}" for w in ids["withdrawals"]]
    paths += [f"/v1/appointments/{a}" for a in ids["appointments"]]
    paths += ["/v1/withdrawals?limit=500", "/v1/withdrawals?account_id=acc_1&status=held"]
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
