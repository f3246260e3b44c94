"""DOMAIN §9 stories 5 and 6: nothing lost or doubled through kill -9 and a NATS restart,
and every service rebuilt from its own log reads exactly as before."""

import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from conftest import eventually
from story import (
    AUDITOR,
    BRANCH,
    INVESTIGATOR,
    TELLER,
    liaison,
    open_account,
    register_customer,
)

from shared.cli import SERVICES

# Faster recovery for a test that kills workers on purpose: unacknowledged messages come
# back after 3 s, and a dead relay's lease passes on after 3 s.
SYSTEM_ENV = {"WARDEN_CONSUMER_ACK_WAIT_SECONDS": "3", "WARDEN_RELAY_LEASE_SECONDS": "3"}
HELD = 50
ACCOUNTS = 10
OUTCOMES = ("cleared", "fraud_victim", "fraud_suspect", "customer_cancelled")
MOVED = {"cleared": "released", "fraud_victim": "blocked", "fraud_suspect": "blocked",
         "customer_cancelled": "cancelled"}  # fmt: skip
MOVE_EVENT = {"released": "WithdrawalReleased", "blocked": "WithdrawalBlocked",
              "cancelled": "WithdrawalCancelled"}  # fmt: skip


class Patient:
    """A client that does what a bank's systems must: retry through restarts, same key each time.

    A retry after a lost answer replays it (Idempotency-Key). The answer is stored in the
    transaction of its effects, so a killed process leaves neither and the retry does the work
    once. The key says 409 "in progress" only while a duplicate is still being carried out;
    should that last, the caller looks the result up. Either way nothing happens twice.
    """

    def __init__(self, api):
        self.api = api

    def send(self, service, method, path, key=None, who=TELLER, json=None, timeout=60.0):
        headers = {"Idempotency-Key": key} if key else {}
        deadline, in_progress = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            try:
                reply = self.api[service].call(method, path, json=json, headers=headers, **who)
            except httpx.TransportError:
                time.sleep(0.3)
                continue
            if reply.status_code >= 500:
                time.sleep(0.3)
                continue
            if reply.status_code == 409 and "in progress" in reply.text:
                in_progress += 1
                if in_progress > 10:
                    return None  # carried out, answer lost: the caller looks it up
                time.sleep(0.3)
                continue
            return reply
        raise AssertionError(f"{method} {path} never answered")

    def get(self, service, path, who=AUDITOR):
        reply = self.send(service, "GET", path, who=who)
        assert reply.status_code == 200, reply.text
        return reply.json()


def chaos(system, stop: threading.Event, log: list, seed: int = 7) -> None:
    """kill -9 every web and worker process once, in random order at random moments, and
    restart NATS once in the middle; then keep killing at random until told to stop."""
    rng = random.Random(seed)
    targets = [(name, kind) for name in SERVICES for kind in ("web", "worker")]
    rng.shuffle(targets)
    while not stop.wait(rng.uniform(0.8, 2.0)):
        name, kind = targets.pop() if targets else rng.choice(list(system.processes))
        system.restart(name, kind)
        log.append(f"killed {name} {kind}")
        if len(log) == 4:
            system.restart_nats()
            log.append("restarted NATS")


@pytest.fixture(scope="module")
def chaos_run(system, api):
    """Run the 50 holds and their cases while processes die; return what was done."""
    client = Patient(api)
    customers = [register_customer(api, date(1975, 1, 1), "engineer") for _ in range(ACCOUNTS)]
    accounts = [open_account(api, c["id"]) for c in customers]
    stop, log = threading.Event(), []
    killer = threading.Thread(target=chaos, args=(system, stop, log))
    killer.start()
    try:
        withdrawals = [request_hold(client, accounts[i % ACCOUNTS], i) for i in range(HELD)]
        for i, item in enumerate(withdrawals):
            item["outcome"] = OUTCOMES[i % len(OUTCOMES)]
            work_case(client, item)
        eventually(lambda: len(log) >= 2 * len(SERVICES) + 1, timeout=60)
    finally:
        stop.set()
        killer.join()
    system.wait_healthy()
    for item in withdrawals:
        expected = MOVED[item["outcome"]]
        eventually(
            lambda item=item, expected=expected: (
                client.get("withdrawals", f"/v1/withdrawals/{item['id']}")["status"] == expected
            ),
            timeout=120,
        )
    return {"client": client, "customers": customers, "accounts": accounts,
            "withdrawals": withdrawals, "chaos": log}  # fmt: skip


def request_hold(client: Patient, account: dict, i: int) -> dict:
    amount = f"{20000 + i}.00"  # unique per request, so a lost answer can be looked up
    body = {"account_id": account["id"], "amount": amount, "currency": "CNY",
            "channel": "counter_cash", "purpose": "investment", "branch_id": BRANCH}  # fmt: skip
    while True:
        reply = client.send("withdrawals", "POST", "/v1/withdrawals", f"hold-{i}", json=body)
        if reply is None or reply.status_code != 404:  # 404: account not known there yet
            break
        time.sleep(0.3)
    if reply is None:
        listed = client.get("withdrawals", f"/v1/withdrawals?account_id={account['id']}&limit=500")
        (item,) = [w for w in listed["items"] if w["amount"] == amount]
    else:
        assert reply.status_code == 201, reply.text
        item = reply.json()
    assert item["status"] == "held", item
    return {"id": item["id"], "account_id": account["id"], "customer_id": item["customer_id"]}


def work_case(client: Patient, item: dict) -> None:
    """Claim, ask the police (or record the customer's cancellation), and confirm."""

    def opened():
        """the case has opened"""
        listed = client.get("cases", "/v1/cases?type=police_verification&limit=500")
        return next((c for c in listed["items"] if c["withdrawal_id"] == item["id"]), None)

    case = eventually(opened, timeout=60)
    path = f"/v1/cases/{case['id']}"
    if client.get("cases", path)["assignee"] is None:
        client.send("cases", "POST", f"{path}/claim", f"claim-{case['id']}", INVESTIGATOR, {})
    if item["outcome"] == "customer_cancelled":
        body = {"outcome": "customer_cancelled", "reason": "customer changed her mind"}
        client.send("cases", "POST", f"{path}/resolution", f"res-{case['id']}", INVESTIGATOR, body)
        return
    if not client.get("cases", path)["verification_requests"]:
        body = {"police_unit": "PSB-HF-001", "summary": "chaos sample"}
        key = f"ver-{case['id']}"
        client.send("cases", "POST", f"{path}/verification-requests", key, INVESTIGATOR, body)
    (verification,) = client.get("cases", path)["verification_requests"]
    body = {"outcome": item["outcome"], "police_reference": "R-1", "officer": "Li", "notes": "-"}
    key = f"confirm-{verification['id']}"
    confirmation = f"/v1/verifications/{verification['id']}/confirmation"
    client.send("cases", "POST", confirmation, key, liaison("PSB-HF-001"), body)


def test_story_5_every_process_was_killed_and_nats_restarted(chaos_run):
    killed = {line for line in chaos_run["chaos"] if line.startswith("killed")}
    assert killed >= {f"killed {name} {kind}" for name in SERVICES for kind in ("web", "worker")}
    assert "restarted NATS" in chaos_run["chaos"]


def test_story_5_every_held_withdrawal_has_exactly_one_case(chaos_run):
    cases = chaos_run["client"].get("cases", "/v1/cases?type=police_verification&limit=500")
    per_withdrawal = Counter(c["withdrawal_id"] for c in cases["items"])
    assert {w["id"]: per_withdrawal[w["id"]] for w in chaos_run["withdrawals"]} == {
        w["id"]: 1 for w in chaos_run["withdrawals"]
    }


def test_story_5_every_decided_case_moved_its_withdrawal_exactly_once(chaos_run):
    client = chaos_run["client"]
    for item in chaos_run["withdrawals"]:
        types = [
            e["type"]
            for e in client.get("withdrawals", f"/v1/withdrawals/{item['id']}/events")["items"]
        ]
        moves = [t for t in types if t in MOVE_EVENT.values()]
        assert moves == [MOVE_EVENT[MOVED[item["outcome"]]]], (item, types)


def test_story_5_every_notification_worthy_event_has_exactly_one_notification(chaos_run):
    client = chaos_run["client"]
    notifications = []
    for customer in chaos_run["customers"]:
        query = f"/v1/notifications?customer_id={customer['id']}&limit=500"
        notifications += client.get("notify", query)["items"]
    sources = Counter(n["source_event_id"] for n in notifications)
    assert [source for source, count in sources.items() if count > 1] == []
    templates = Counter(n["template"] for n in notifications)
    outcomes = Counter(w["outcome"] for w in chaos_run["withdrawals"])
    assert templates["withdrawal_held"] == HELD
    assert templates["withdrawal_released"] == outcomes["cleared"]
    assert templates["fraud_warning"] == outcomes["fraud_victim"]
    assert templates["welcome"] == ACCOUNTS
    for account in chaos_run["accounts"]:
        events = client.get("accounts", f"/v1/accounts/{account['id']}/events")["items"]
        mine = Counter(
            n["template"] for n in notifications if n["customer_id"] == account["customer_id"]
        )
        assert mine["account_restricted"] == sum(e["type"] == "AccountRestricted" for e in events)
        assert mine["limits_changed"] == sum(e["type"] == "RiskTierChanged" for e in events)


def test_story_5_nothing_was_parked_as_a_dead_letter(chaos_run, api):
    for name, service in api.items():
        metrics = service.http.get("/metrics").text
        parked = [line for line in metrics.splitlines() if line.startswith("warden_dead_letters{")]
        assert sum(float(line.rsplit(" ", 1)[1]) for line in parked) == 0, (name, parked)


def everything_readable(chaos_run) -> dict:
    """Every read a user could make of what the run produced."""
    client, reads = chaos_run["client"], {}
    for account in chaos_run["accounts"]:
        reads[account["id"]] = client.get("accounts", f"/v1/accounts/{account['id']}")
        reads[account["customer_id"]] = client.get(
            "accounts", f"/v1/customers/{account['customer_id']}"
        )
        query = f"/v1/withdrawals?account_id={account['id']}&limit=500"
        reads[f"withdrawals {account['id']}"] = client.get("withdrawals", query)
        query = f"/v1/notifications?customer_id={account['customer_id']}&limit=500"
        reads[f"notifications {account['customer_id']}"] = client.get("notify", query)
    cases = client.get("cases", "/v1/cases?limit=500")
    reads["cases"] = cases
    for case in cases["items"]:
        reads[case["id"]] = client.get("cases", f"/v1/cases/{case['id']}")
    for item in chaos_run["withdrawals"]:
        reads[item["id"]] = client.get("withdrawals", f"/v1/withdrawals/{item['id']}")
    return reads


def test_story_6_every_service_rebuilt_from_its_log_reads_the_same(chaos_run, system):
    client = chaos_run["client"]

    def pending() -> list:
        soon = datetime.now(UTC) + timedelta(seconds=5)
        waiting = []
        for customer in chaos_run["customers"]:
            query = f"/v1/notifications?customer_id={customer['id']}&limit=500"
            for n in client.get("notify", query)["items"]:
                due = n["next_attempt_at"] and datetime.fromisoformat(n["next_attempt_at"]) < soon
                if n["status"] in ("requested", "retrying") and due:
                    waiting.append(n)
        return waiting

    try:  # notify has delivered everything due (quiet hours may defer education)
        eventually(lambda: not pending(), timeout=60)
    except AssertionError:
        raise AssertionError(f"still undelivered: {pending()}") from None
    before = everything_readable(chaos_run)
    for name in SERVICES:
        result = subprocess.run(
            [sys.executable, "-m", "shared.cli", "rebuild", name],
            env=system.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "state identical before and after rebuild" in result.stdout
    assert everything_readable(chaos_run) == before
