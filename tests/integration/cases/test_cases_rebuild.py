"""Dropped and replayed from the log, the read models and every API read come back identical."""

from cases_support import (
    AUDITOR,
    INVESTIGATOR,
    LIAISON_1,
    SUPERVISOR,
    account_opening_referred,
    deliver,
    known_account,
    withdrawal_held,
)

from services.cases.opening import case_id_for
from services.cases.projections import projections
from services.cases.timers import check_slas
from shared import eventstore
from shared.db import write_transaction


def work_some_cases(client, engine, clock):
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    police_case = case_id_for(held["event_id"])
    client.post(f"/v1/cases/{police_case}/claim", headers=INVESTIGATOR)
    client.post(
        f"/v1/cases/{police_case}/contacts",
        json={"channel": "phone", "outcome": "reached", "summary": "spoke"},
        headers=INVESTIGATOR,
    )
    ver = client.post(
        f"/v1/cases/{police_case}/verification-requests",
        json={"police_unit": "PSB-HF-001", "summary": "verify"},
        headers=INVESTIGATOR,
    ).get_json()["id"]
    client.get(f"/v1/verifications/{ver}", headers=LIAISON_1)
    client.post(
        f"/v1/verifications/{ver}/confirmation",
        json={"outcome": "cleared", "police_reference": "R", "officer": "O", "notes": ""},
        headers=LIAISON_1,
    )
    referred = account_opening_referred()
    deliver(engine, "accounts", referred)
    review = case_id_for(referred["event_id"])
    client.post(f"/v1/cases/{review}/assignment", json={"investigator": "i-9"}, headers=SUPERVISOR)
    client.post(f"/v1/cases/{review}/escalations", json={"reason": "odd"}, headers=INVESTIGATOR)
    known_account(engine, "acc_7")
    client.post(
        "/v1/cases",
        json={"case_type": "suspicious_account", "account_id": "acc_7", "summary": "mule?"},
        headers=INVESTIGATOR,
    )
    check_slas(engine, None, clock.now.replace(year=2027))
    return [police_case, review]


def api_reads(client, case_ids):
    reads = [client.get("/v1/cases?limit=500", headers=AUDITOR).get_json()]
    for case_id in case_ids:
        reads.append(client.get(f"/v1/cases/{case_id}", headers=AUDITOR).get_json())
    reads.append(client.get("/v1/cases?police_unit=PSB-HF-001", headers=AUDITOR).get_json())
    reads.append(client.get("/v1/cases?sla=breached", headers=AUDITOR).get_json())
    return reads


def test_a_rebuild_reproduces_the_projections_and_the_api_reads(client, engine, clock):
    case_ids = work_some_cases(client, engine, clock)
    before = projections.snapshot(engine)
    reads_before = api_reads(client, case_ids)
    assert sum(len(rows) for rows in before.values()) >= 4

    with write_transaction(engine) as conn:
        projections.metadata.drop_all(conn)
    replayed = projections.rebuild(engine)

    assert replayed == len(list(eventstore.read_all(engine))) == 20
    assert projections.snapshot(engine) == before
    assert api_reads(client, case_ids) == reads_before
