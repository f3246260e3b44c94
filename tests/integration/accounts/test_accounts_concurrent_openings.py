"""Due diligence reads and decides under the append lock: concurrent openings see each other."""

import contextlib
import threading

import pytest
from accounts_support import account_body, bearer, make_app, open_account, register

from services.accounts import queries


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

        Under the append lock the other cannot read yet, so the wait times out and the
        openings run one after the other; without the lock both would read the same count.
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
