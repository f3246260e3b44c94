"""The console's queues: contents, SLA order, filters, keyset paging, next case and search."""

import re
import threading
import time
from datetime import timedelta

import pytest
from cases_support import (
    HOLD_AT,
    INVESTIGATOR,
    account_opening_referred,
    case_events,
    deliver,
    make_app,
    withdrawal_held,
)
from page_support import csrf_of, page_sign_in

from services.cases.opening import case_id_for
from shared.ports import free_port

ROW = re.compile(r'<tr data-case-id="([^"]+)"')


@pytest.fixture
def console_app(database_url, clock):
    """The cases app with its peers pointed at a port nobody listens on."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    app = make_app(database_url, clock=clock, notify_url=nowhere, withdrawals_url=nowhere)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def engine(console_app):
    return console_app.extensions["warden"].engine


def signed_in(app, role: str, sub: str):
    """A test client signed in through the development form, reading English."""
    client = app.test_client()
    page_sign_in(client, "/console", role, sub, language="en")
    return client


def csrf(client) -> str:
    return csrf_of(client.get("/console/").get_data(as_text=True))


def rows(client, url: str) -> list[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return ROW.findall(answer.get_data(as_text=True))


def hold(engine, minutes: int, n: int | None = None) -> str:
    """A held withdrawal's case, due 120 minutes after a hold `minutes` after HOLD_AT."""
    n = minutes if n is None else n
    message = withdrawal_held(
        withdrawal_id=f"wd_{n}",
        account_id=f"acc_{n}",
        occurred_at=HOLD_AT + timedelta(minutes=minutes),
    )
    deliver(engine, "withdrawals", message)
    return case_id_for(message["event_id"])


def referral(engine, minutes: int) -> str:
    message = account_opening_referred(occurred_at=HOLD_AT + timedelta(minutes=minutes))
    deliver(engine, "accounts", message)
    return case_id_for(message["event_id"])


@pytest.fixture
def seeded(console_app, engine):
    """Three police cases (due in the order b, a, c) and one due-diligence review due last."""
    a, b, c = hold(engine, 20), hold(engine, 10), hold(engine, 30)
    review = referral(engine, 0)
    return {"a": a, "b": b, "c": c, "review": review}


def test_unassigned_lists_open_cases_most_urgent_first(console_app, seeded):
    client = signed_in(console_app, "investigator", "i-007")
    expected = [seeded["b"], seeded["a"], seeded["c"], seeded["review"]]
    assert rows(client, "/console/queues/unassigned") == expected


def test_my_cases_are_mine_with_the_unresolved_first(console_app, seeded):
    api = console_app.test_client()
    for case_id in (seeded["a"], seeded["c"], seeded["b"]):
        api.post(f"/v1/cases/{case_id}/claim", headers=INVESTIGATOR)
    resolved = api.post(
        f"/v1/cases/{seeded['b']}/resolution",
        json={"outcome": "customer_cancelled", "reason": "changed their mind"},
        headers=INVESTIGATOR,
    )
    assert resolved.status_code == 200
    mine = signed_in(console_app, "investigator", "i-007")
    assert rows(mine, "/console/") == [seeded["a"], seeded["c"], seeded["b"]]
    assert rows(mine, "/console/queues/mine") == [seeded["a"], seeded["c"], seeded["b"]]
    assert rows(mine, "/console/queues/unassigned") == [seeded["review"]]
    other = signed_in(console_app, "investigator", "i-008")
    assert rows(other, "/console/") == []


def test_supervisors_queue_holds_escalated_cases(console_app, seeded):
    api = console_app.test_client()
    api.post(f"/v1/cases/{seeded['c']}/escalations", json={"reason": "odd"}, headers=INVESTIGATOR)
    client = signed_in(console_app, "supervisor", "s-001")
    assert rows(client, "/console/queues/supervisors") == [seeded["c"]]
    assert seeded["c"] not in rows(client, "/console/queues/unassigned")


def test_filters_narrow_a_queue(console_app, seeded):
    api = console_app.test_client()
    api.post(f"/v1/cases/{seeded['a']}/escalations", json={"reason": "x"}, headers=INVESTIGATOR)
    api.post(f"/v1/cases/{seeded['a']}/claim", headers=INVESTIGATOR)
    client = signed_in(console_app, "investigator", "i-007")
    assert rows(client, "/console/queues/unassigned?type=due_diligence_review") == [
        seeded["review"]
    ]
    assert rows(client, "/console/?status=in_progress") == [seeded["a"]]
    assert rows(client, "/console/?status=resolved") == []
    assert rows(client, "/console/queues/supervisors?sla=ok") == [seeded["a"]]
    assert rows(client, "/console/queues/supervisors?sla=breached") == []
    # an unknown value is no filter at all, never an error
    assert len(rows(client, "/console/queues/unassigned?type=nonsense")) == 3


def test_a_queue_pages_by_sla_without_overlap(console_app, engine):
    expected = [hold(engine, 55 - i, n=i) for i in range(55)][::-1]
    client = signed_in(console_app, "investigator", "i-007")
    first = client.get("/console/queues/unassigned").get_data(as_text=True)
    assert ROW.findall(first) == expected[:50]
    next_url = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert ROW.findall(second) == expected[50:]
    assert 'rel="next"' not in second


def test_a_broken_cursor_is_an_error_page_not_a_problem(console_app, seeded):
    client = signed_in(console_app, "investigator", "i-007")
    answer = client.get("/console/queues/unassigned?cursor=%25%25")
    assert answer.status_code == 400
    assert answer.content_type.startswith("text/html")
    assert client.get("/console/queues/nonsense").status_code == 404


def test_next_case_claims_the_most_urgent_and_never_the_same_twice(console_app, seeded, engine):
    first, second = (signed_in(console_app, "investigator", s) for s in ("i-1", "i-2"))
    taken = []
    for client in (first, second, first):
        answer = client.post("/console/next-case", data={"csrf_token": csrf(client)})
        assert answer.status_code == 303
        taken.append(answer.headers["Location"].rsplit("/", 1)[1])
    assert taken == [seeded["b"], seeded["a"], seeded["c"]]
    assert [e.data["assignee"] for e in case_events(engine, seeded["a"])[2:]] == ["i-2"]
    page = first.get(f"/console/cases/{seeded['b']}").get_data(as_text=True)
    assert "You have claimed this case." in page


def test_next_case_with_nothing_waiting_says_so(console_app):
    client = signed_in(console_app, "investigator", "i-1")
    answer = client.post("/console/next-case", data={"csrf_token": csrf(client)})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/queues/unassigned")
    assert "No unassigned case is waiting." in client.get(answer.headers["Location"]).get_data(
        as_text=True
    )


def test_racing_next_case_hands_each_case_to_one_person(console_app, engine):
    seeded = [hold(engine, i) for i in range(8)]
    clients = [signed_in(console_app, "investigator", f"i-{n}") for n in range(2)]
    tokens = [csrf(client) for client in clients]
    start, taken = threading.Barrier(len(clients)), []

    def take(client, token):
        start.wait()
        for _ in range(3):
            answer = client.post("/console/next-case", data={"csrf_token": token})
            taken.append(answer.headers["Location"].rsplit("/", 1)[1])

    threads = [
        threading.Thread(target=take, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == 6 and len(set(taken)) == 6
    assert set(taken) <= set(seeded)
    for case_id in taken:
        assigned = [e for e in case_events(engine, case_id) if e.type == "CaseAssigned"]
        assert len(assigned) == 1


def test_search_opens_a_case_or_lists_the_cases_of_an_account_or_withdrawal(console_app, seeded):
    client = signed_in(console_app, "auditor", "a-001")
    answer = client.get(f"/console/search?q={seeded['a']}")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/console/cases/{seeded['a']}")
    assert rows(client, "/console/search?q=acc_20") == [seeded["a"]]
    assert rows(client, "/console/search?q=wd_10") == [seeded["b"]]
    empty = client.get("/console/search?q=nobody").get_data(as_text=True)
    assert 'data-empty="search"' in empty


def test_auditors_read_queues_but_cannot_take_cases(console_app, seeded):
    client = signed_in(console_app, "auditor", "a-001")
    page = client.get("/console/queues/unassigned").get_data(as_text=True)
    assert ROW.findall(page) and 'id="form-next-case"' not in page
    answer = client.post("/console/next-case", data={"csrf_token": csrf(client)})
    assert answer.status_code == 403
    assert answer.content_type.startswith("text/html")
    assert rows(client, "/console/queues/unassigned")[0] == seeded["b"]


def test_a_teller_gets_a_403_page(console_app):
    client = console_app.test_client()
    with client.session_transaction() as session:
        session["user"] = {
            "sub": "t-042",
            "role": "teller",
            "police_unit": None,
            "branch_id": "br-1",
            "via": "development",
        }
        session["seen"] = time.time()
    answer = client.get("/console/")
    assert answer.status_code == 403
    assert answer.content_type.startswith("text/html")


def test_nobody_signed_in_goes_to_sign_in(console_app):
    answer = console_app.test_client().get("/console/queues/unassigned")
    assert answer.status_code == 303
    assert "/console/sign-in" in answer.headers["Location"]


def test_rows_show_amount_reasons_and_time_left(console_app, seeded):
    client = signed_in(console_app, "supervisor", "s-001")
    page = client.get("/console/queues/unassigned").get_data(as_text=True)
    row = page[page.index(f'data-case-id="{seeded["b"]}"') :].split("</tr>")[0]
    assert "80,000.00 CNY" in row
    assert "Risky purpose" in row and "Large cash for an elderly customer" in row
    assert "2 h 5 min left" in row  # held at 01:10, due 03:10, now 01:05


def test_a_breached_case_moves_to_the_supervisors_queue_overdue(console_app, seeded, clock):
    from services.cases.timers import check_slas

    clock.now = HOLD_AT + timedelta(minutes=135)  # b was due at 03:10, a at 03:20; now 03:15
    check_slas(console_app.extensions["warden"].engine, None, clock.now)
    client = signed_in(console_app, "supervisor", "s-001")
    assert rows(client, "/console/queues/supervisors?sla=breached") == [seeded["b"]]
    page = client.get("/console/queues/supervisors").get_data(as_text=True)
    assert "Overdue by 5 min" in page
    assert seeded["b"] not in rows(client, "/console/queues/unassigned")
