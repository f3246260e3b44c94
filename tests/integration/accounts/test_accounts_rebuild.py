"""DOMAIN §9.6: the projections, dropped and replayed from the log, are identical, and so is
every read the API gives."""

import pytest
from accounts_support import (
    START,
    bearer,
    case_resolved,
    make_app,
    open_account,
    police_confirmed,
    register,
    withdrawal_held,
)

from shared import codec
from shared.consumer import MessageProcessor

UNSIGNED = [{"type": "employment_proof", "employer": "Hefei Tech Co"}]
ROLES = ("system", "teller", "auditor")


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


def deliver(app, source, envelope):
    state = app.extensions["warden"]
    processor = MessageProcessor(
        state.engine, f"accounts-from-{source}", state.spec.subscriptions[source]
    )
    processor.process(f"{source}.x", codec.dumpb(envelope), 1)


def build_history(app):
    client = app.test_client()
    wang = register(client)["id"]
    li = register(client, name="李四", id_number="340104196001011111", birth_date="1960-01-01")[
        "id"
    ]
    client.post(
        f"/v1/customers/{li}/contact",
        json={"phone": "13900000000", "email": None, "preferred_language": "en"},
        headers=bearer(),
    )
    active = open_account(client, wang)["id"]
    reviewed = open_account(client, wang, documents=UNSIGNED)["id"]
    victim = open_account(client, li)["id"]
    entry = client.post(
        "/v1/watchlist",
        json={"id_type": "resident_id", "id_number": "340104196001011111", "reference": "P-1"},
        headers=bearer("police_liaison"),
    ).get_json()["id"]
    refused = open_account(client, li)["id"]
    client.delete(f"/v1/watchlist/{entry}", headers=bearer("supervisor"))
    deliver(app, "withdrawals", withdrawal_held(active, "wd_1", START))
    deliver(app, "cases", case_resolved(reviewed, "case_1", "approved", START))
    deliver(app, "cases", police_confirmed(victim, "case_2", "fraud_victim", START))
    stop = client.post(
        f"/v1/accounts/{active}/restrictions",
        json={"type": "stop_payment", "reason": "x"},
        headers=bearer("supervisor", "s1"),
    ).get_json()["id"]
    client.delete(f"/v1/accounts/{active}/restrictions/{stop}", headers=bearer("supervisor", "s2"))
    client.post(f"/v1/accounts/{reviewed}/closure", json={"reason": "moved"}, headers=bearer())
    return {
        "customers": [wang, li],
        "accounts": [active, reviewed, victim, refused],
        "watchlist": [entry],
    }


def reads(app, ids) -> dict:
    client = app.test_client()
    seen = {}
    for kind in ("customers", "accounts"):
        for item in ids[kind]:
            for role in ROLES:
                for suffix in ("", "/events"):
                    path = f"/v1/{kind}/{item}{suffix}"
                    response = client.get(path, headers=bearer(role))
                    assert response.status_code == 200, path
                    seen[(path, role)] = response.get_json()
    for item in ids["watchlist"]:
        seen[item] = client.get(f"/v1/watchlist/{item}", headers=bearer("auditor")).get_json()
    return seen


def test_rebuild_reproduces_every_projection_row_and_every_read(app):
    ids = build_history(app)
    state = app.extensions["warden"]
    projections = state.spec.projections
    before, reads_before = projections.snapshot(state.engine), reads(app, ids)
    assert all(before[name] for name in ("customers", "accounts", "restrictions", "watchlist"))
    replayed = projections.rebuild(state.engine)
    assert replayed > 15
    assert projections.snapshot(state.engine) == before
    assert reads(app, ids) == reads_before
