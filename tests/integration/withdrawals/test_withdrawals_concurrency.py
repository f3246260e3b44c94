"""Requests on one account are screened one after another: concurrent ones cannot both fit."""

import contextlib
import threading

from withdrawals_support import transfer

from services.withdrawals import queries


def test_two_concurrent_transfers_cannot_both_fit_under_the_daily_limit(wd_app, feed, monkeypatch):
    feed.customer(birth_date="1980-01-01", occupation="engineer")
    feed.account(tier="MEDIUM")  # 20,000.00 a transfer, 50,000.00 a day
    assert transfer(wd_app.test_client(), "20000.00").get_json()["status"] == "approved"

    # Each request waits, after reading the account's recent withdrawals, for the other one to
    # have read them too. Were the reads not serialised, both would see 20,000.00 and fit; as
    # they are, the second cannot read until the first commits, and the wait simply lapses.
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
