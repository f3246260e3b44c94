"""The SLA timer with injected time: warning and breach each recorded once, restarts included."""

import threading
from datetime import timedelta

from cases_support import (
    HOLD_AT,
    INVESTIGATOR,
    SUPERVISOR,
    count_events,
    deliver,
    withdrawal_held,
)

from services.cases.opening import case_id_for
from services.cases.timers import SLA_TIMER, check_slas
from shared.db import make_engine


def minutes(n: float):
    return HOLD_AT + timedelta(minutes=n)


def held(engine, withdrawal_id="wd_1", occurred_at=HOLD_AT) -> str:
    event = withdrawal_held(withdrawal_id=withdrawal_id, occurred_at=occurred_at)
    deliver(engine, "withdrawals", event)
    return case_id_for(event["event_id"])


def sla_counts(engine) -> tuple[int, int]:
    return count_events(engine, "CaseSlaWarning"), count_events(engine, "CaseSlaBreached")


def test_warning_at_75_percent_and_breach_at_100_each_once_even_after_a_restart(
    engine, database_url
):
    held(engine)
    assert SLA_TIMER.run is check_slas
    assert check_slas(engine, None, minutes(89)) == 0
    assert sla_counts(engine) == (0, 0)
    assert check_slas(engine, None, minutes(90)) == 1
    assert check_slas(engine, None, minutes(90)) == 0
    assert check_slas(engine, None, minutes(119)) == 0
    assert sla_counts(engine) == (1, 0)
    assert check_slas(engine, None, minutes(120)) == 1
    assert check_slas(engine, None, minutes(121)) == 0
    assert sla_counts(engine) == (1, 1)

    restarted = make_engine(database_url)  # a new worker process on the same database
    try:
        assert check_slas(restarted, None, minutes(130)) == 0
        assert check_slas(restarted, None, minutes(60 * 24)) == 0
    finally:
        restarted.dispose()
    assert sla_counts(engine) == (1, 1)


def test_timers_running_concurrently_record_each_event_once(engine, database_url):
    for n in range(3):
        held(engine, withdrawal_id=f"wd_{n}")
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    errors = []

    def tick(own_engine):
        start.wait()
        try:
            check_slas(own_engine, None, minutes(300))
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for own_engine in engines:
        own_engine.dispose()
    assert errors == []
    assert sla_counts(engine) == (3, 3)


def test_resolved_cases_get_no_sla_events(client, engine):
    case_id = held(engine)
    client.post(f"/v1/cases/{case_id}/claim", headers=INVESTIGATOR)
    client.post(
        f"/v1/cases/{case_id}/resolution",
        json={"outcome": "customer_cancelled", "reason": "went home"},
        headers=INVESTIGATOR,
    )
    assert check_slas(engine, None, minutes(600)) == 0
    assert sla_counts(engine) == (0, 0)


def test_lists_filter_by_sla_state_and_a_breached_case_sits_in_the_supervisors_queue(
    client, engine
):
    breached = held(engine, "wd_b", occurred_at=minutes(0))
    warned = held(engine, "wd_w", occurred_at=minutes(30))
    fine = held(engine, "wd_f", occurred_at=minutes(100))
    check_slas(engine, None, minutes(120))

    def ids(query):
        body = client.get(f"/v1/cases?{query}", headers=SUPERVISOR).get_json()
        return [item["id"] for item in body["items"]]

    assert ids("sla=breached") == [breached]
    assert ids("sla=warning") == [warned]
    assert ids("sla=ok") == [fine]
    assert ids("queue=supervisors") == [breached]
    assert ids("queue=investigators") == [fine, warned]
    case = client.get(f"/v1/cases/{breached}", headers=SUPERVISOR).get_json()
    assert (case["sla_state"], case["queue"]) == ("breached", "supervisors")
    assert [entry["event_type"] for entry in case["timeline"][-2:]] == [
        "CaseSlaWarning",
        "CaseSlaBreached",
    ]
    assert case["timeline"][-1]["actor"] == {"role": "system", "sub": "warden"}
