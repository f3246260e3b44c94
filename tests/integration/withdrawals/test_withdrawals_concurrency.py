"""Screening runs outside the write lock; what it relied on is checked when it is recorded.

Requests on one account cannot both fit under a limit or both use one appointment: the one that
records second finds the account's screening guard (or the appointment) moved and is screened
again. Requests on different accounts neither wait for each other nor screen twice.
"""

import contextlib
import threading

from withdrawals_support import TELLER, book, transfer, withdraw

from services.withdrawals import application, queries


def _during_first_screen(monkeypatch, account_id, meanwhile):
    """Run `meanwhile()` once, inside the first screening of `account_id`, after its reads.

    Returns the list of accounts screened, one entry per screening.
    """
    screen, screened = application._screen, []

    def screen_then_meanwhile(conn, svc, request, now):
        screened.append(request.account_id)
        found = screen(conn, svc, request, now)
        if request.account_id == account_id and screened.count(account_id) == 1:
            meanwhile()
        return found

    monkeypatch.setattr(application, "_screen", screen_then_meanwhile)
    return screened


def test_two_concurrent_transfers_cannot_both_fit_under_the_daily_limit(wd_app, feed, monkeypatch):
    feed.customer(birth_date="1980-01-01", occupation="engineer")
    feed.account(tier="MEDIUM")  # 20,000.00 a transfer, 50,000.00 a day
    assert transfer(wd_app.test_client(), "20000.00").get_json()["status"] == "approved"

    # Each request waits, after reading the account's recent withdrawals, for the other one to
    # have read them too, so both see 20,000.00 and fit. The one that records second finds the
    # account's guard moved, is screened again and sees the other's 20,000.00.
    read, meeting = queries.recent_withdrawals, threading.Barrier(2, timeout=2)

    def read_then_meet(*args, **kwargs):
        rows = read(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()
        return rows

    monkeypatch.setattr(queries, "recent_withdrawals", read_then_meet)
    answers = []

    def request():
        answers.append(transfer(wd_app.test_client(), "20000.00").get_json())

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer["status"] for answer in answers)
    assert statuses == ["approved", "rejected"], answers
    (rejected,) = [a for a in answers if a["status"] == "rejected"]
    assert rejected["reasons"] == ["LIMIT_DAILY"]
    assert rejected["decision"]["inputs"]["today_non_counter_total"] == "40000.00"


def test_a_request_recorded_while_another_on_the_account_screens_makes_it_screen_again(
    wd_app, feed, monkeypatch
):
    feed.customer(birth_date="1980-01-01", occupation="engineer")
    feed.account(tier="MEDIUM")  # 20,000.00 a transfer, 50,000.00 a day
    client = wd_app.test_client()
    assert transfer(client, "20000.00").get_json()["status"] == "approved"
    competing = []
    screened = _during_first_screen(
        monkeypatch, "acc_1", lambda: competing.append(transfer(client, "20000.00").get_json())
    )
    answer = transfer(client, "20000.00").get_json()
    assert competing[0]["status"] == "approved"
    assert (answer["status"], answer["reasons"]) == ("rejected", ["LIMIT_DAILY"])
    assert answer["decision"]["inputs"]["today_non_counter_total"] == "40000.00"
    assert screened == ["acc_1", "acc_1", "acc_1"]  # the first twice, the competing one once


def test_a_request_on_another_account_is_recorded_while_one_screens_and_neither_waits(
    wd_app, feed, monkeypatch
):
    feed.customer(birth_date="1980-01-01", occupation="engineer")
    feed.account(tier="MEDIUM")
    feed.account(account_id="acc_2", tier="MEDIUM")
    client = wd_app.test_client()
    other = []
    # The other request runs to its commit while this one holds its read open: under a lock
    # taken before screening it could not (SQLite would wait out its busy timeout).
    screened = _during_first_screen(
        monkeypatch,
        "acc_1",
        lambda: other.append(transfer(client, "20000.00", account_id="acc_2").get_json()),
    )
    answer = transfer(client, "20000.00").get_json()
    assert other[0]["status"] == "approved" and answer["status"] == "approved"
    assert screened == ["acc_1", "acc_2"]  # nobody screened twice


def test_an_appointment_cancelled_while_a_request_screens_is_not_used(wd_app, story, monkeypatch):
    client = wd_app.test_client()
    appointment_id = book(client, purpose="living_expenses").get_json()["id"]
    path = f"/v1/appointments/{appointment_id}?reason=customer+called"
    cancelled = []
    screened = _during_first_screen(
        monkeypatch,
        "acc_1",
        lambda: cancelled.append(client.delete(path, headers=TELLER).get_json()),
    )
    answer = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    assert cancelled[0]["status"] == "cancelled"
    assert answer["decision"]["inputs"]["appointment"]["valid"] is False
    assert screened == ["acc_1", "acc_1"]
    shown = client.get(f"/v1/appointments/{appointment_id}", headers=TELLER).get_json()
    assert (shown["status"], shown.get("withdrawal_id")) == ("cancelled", None)
