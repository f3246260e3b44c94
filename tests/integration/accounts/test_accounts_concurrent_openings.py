"""Commands read and decide outside the write lock; what they relied on is checked on append.

Concurrent openings for one customer cannot both miss MULTIPLE_RECENT_ACCOUNTS (the customer's
opening guard), and one id number cannot register twice (the customers table's unique index).
"""

import contextlib
import threading

import pytest
from accounts_support import account_body, bearer, customer_body, make_app, open_account, register

from services.accounts import queries
from shared import eventstore


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


def test_two_concurrent_openings_after_one_cannot_both_miss_multiple_recent_accounts(
    app, monkeypatch
):
    client = app.test_client()
    customer_id = register(client)["id"]
    open_account(client, customer_id)  # one before: the next is clean, the one after flagged
    meet = threading.Barrier(2)
    read_facts = queries.opening_facts

    def read_then_wait_for_the_other(*args):
        """Hold each opening between its reads and its decision until the other has read too.

        Both read the same count and decide; the one that appends second finds the customer's
        opening guard moved, reads again and counts the other (by then the wait has lapsed).
        """
        facts = read_facts(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=1)
        return facts

    monkeypatch.setattr(queries, "opening_facts", read_then_wait_for_the_other)
    answers = []

    def open_concurrently():
        response = app.test_client().post(
            "/v1/accounts", json=account_body(customer_id), headers=bearer()
        )
        answers.append(response.get_json())

    threads = [threading.Thread(target=open_concurrently) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tuple(a["flags"]) for a in answers) == [(), ("MULTIPLE_RECENT_ACCOUNTS",)]


def test_an_id_number_registered_while_another_registration_reads_is_a_conflict(app, monkeypatch):
    client = app.test_client()
    find, looks, competing = queries.customer_with_id_number, [], []

    def find_then_register_the_same_number(conn, id_number):
        """The first look finds nobody; a registration of the number then commits."""
        found = find(conn, id_number)
        looks.append(found)
        if len(looks) == 1:
            competing.append(register(client))
        return found

    monkeypatch.setattr(queries, "customer_with_id_number", find_then_register_the_same_number)
    response = client.post("/v1/customers", json=customer_body(), headers=bearer())
    assert response.status_code == 409, response.get_json()
    assert competing[0]["id"] in response.get_json()["detail"]
    engine = app.extensions["warden"].engine
    registered = [e for e in eventstore.read_all(engine) if e.type == "CustomerRegistered"]
    assert [e.stream_id for e in registered] == [competing[0]["id"]]
    # ours looked, the competing one looked, ours looked again after its append was refused
    assert looks == [None, None, competing[0]["id"]]


def test_registering_checks_the_id_number_once_when_nobody_competes(app, monkeypatch):
    calls = []
    find = queries.customer_with_id_number

    def counted(conn, id_number):
        calls.append(id_number)
        return find(conn, id_number)

    monkeypatch.setattr(queries, "customer_with_id_number", counted)
    register(app.test_client())
    assert calls == ["340104198001011234"]
