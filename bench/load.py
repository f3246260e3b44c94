"""Open-loop load on the whole system as `make run` starts it, beside the minimal stack.

Run from the repository root: `python bench/load.py [--rates 25,50,100,200,400] [--seconds 10]
[--postgres [URL]]`. It starts Warden itself (shared.runner.System: NATS and every service's
gunicorn web and worker, on free ports, WARDEN_VAR_DIR in a temporary directory; on
PostgreSQL a database per service, created and dropped here), and, for reference, the same
stack doing the minimum: a bare Flask app on gunicorn, 2 workers x 4 gthreads, that parses the
JSON and commits one durable insert per request (SQLite in WAL with Warden's pragmas from
shared/db.py, or PostgreSQL), and its bare /healthz.

Setup (not measured): customers registered and accounts opened through accounts, each account
waited for in withdrawals (a rejected request, retried while withdrawals answers 404); accounts
of their own for the holds; --claim-pool held withdrawals whose cases are spread over the
stages of a case's work (open, claimed, noted, sent to the police), and a few appointments
booked and customers registered, so every pool has work from the first step.

Each step offers one target a fixed rate for --seconds: request i is due at start + i / rate
and is sent then whatever the answers before it did (open loop); its latency is counted from
that due time, so a slow system shows its queue instead of slowing the load (no coordinated
omission). The generator's own lag (send time - due time) is reported: when it is large, the
figures are the generator's, not the system's. The targets, stepped up independently until
p99 passes 100 ms or an error appears:
  warden-withdrawals  POST /v1/withdrawals only, approved 100.00 counter_cash, round robin
                  over the everyday accounts (the issue's wrk measurement, open loop)
  warden-mix      the branch day below, at the offered rate in total
  warden-healthz  GET /healthz of withdrawals
  minimal-write   POST /write of the reference (JSON parsed, one durable insert)
  minimal-healthz GET /healthz of the reference
The branch day (MIX, printed with the results): 59 % POST /v1/withdrawals (46 % approved
100.00 counter_cash round robin over the everyday accounts; 5 % held, 20000.00 investment, and
3 % 60000.00 on an appointment booked earlier, held NEW_ACCOUNT_LARGE, both on hold accounts
used at most twice so VELOCITY never fires; 5 % rejected, 60000.00 without an appointment);
3 % POST /v1/appointments; 2 % POST /v1/customers, 2 % POST /v1/accounts (for a customer
registered earlier); 10 % GET /v1/withdrawals/<id> (auditor); investigator i-007: 5 %
GET /v1/cases?type=police_verification&status=open, 3 % claim, 3 % note, 3 % verification
request to PSB-HF-001; that unit's police_liaison: 2 % GET /v1/verifications?status=pending,
3 % POST /v1/verifications/<id>/confirmation (4 cleared : 1 fraud_victim); 5 % a teller's
GET /v1/notifications?customer_id= of a customer with a hold.

Work items, without coordinated omission: each stage takes its item from a pool, oldest first,
and its answer feeds the next pool (claim -> claimed -> note -> noted -> verification request
-> requested -> confirmation). Cases open asynchronously (hold -> CaseOpened over NATS); the
open-case pool is fed by the mix's own queue reads (GET /v1/cases, the investigator's refresh)
and by the post-step samples of the holds, never by a wait inside a slot. A slot whose pool is
empty sends an approved withdrawal instead, counted as a fallback. A 409 on a case or
verification action is a business answer (already claimed, a race to retry: the item goes back
to its pool) and is counted apart from the errors; any other 4xx/5xx is an error.

CPU seconds per request: user + system time of every process of the target (the gunicorn
masters and workers, the service workers and NATS, read from /proc/<pid>/stat) before and
after the step, over the requests answered. Propagation, after each mix step, from the events'
recorded_at, for a sample of that step's work: hold -> case opened (CaseOpened), hold -> the
customer's notification (its created_at), police confirmation -> withdrawal released or blocked.

Output: the mix, a table, then the last line a JSON object; the plot (p99 and p50 against
offered rate) is written as SVG to <--plot-dir>/load-<backend>.svg (docs/ by default), and with
--markdown FILE the mix and tables as a Markdown section.
"""

import argparse
import asyncio
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processes import cpu_by_tree, stop, tree_cpu_seconds  # noqa: E402

from shared.children import die_with_parent  # noqa: E402
from shared.cli import SERVICES  # noqa: E402
from shared.ports import free_ports, wait_for_port  # noqa: E402
from shared.runner import System  # noqa: E402
from shared.testing import servers  # noqa: E402
from shared.tokens import mint_token  # noqa: E402

SECRET = "bench-load-secret-that-is-at-least-32-bytes"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BRANCH = "HF-01"
P99_LIMIT_MS = 100.0
TARGET_RATE = 300  # issue 14: 300 withdrawal requests a second, p99 <= 25 ms, no errors
TARGET_P99_MS = 25.0
TARGET_HOP_P99_MS = 250.0
HOP_SAMPLE = 30
TIMEOUT = 10.0
TARGETS = ("warden-withdrawals", "minimal-write", "warden-mix", "warden-healthz", "minimal-healthz")
MIX = (  # (kind, weight in %, endpoint, who): a branch day, withdrawals the dominant share
    ("withdrawal_approved", 46, "POST /v1/withdrawals", "teller: 100.00 counter_cash"),
    ("withdrawal_held", 5, "POST /v1/withdrawals", "teller: 20000.00 investment (RISKY_PURPOSE)"),
    ("withdrawal_rejected", 5, "POST /v1/withdrawals", "teller: 60000.00, no appointment"),
    ("withdrawal_appointment", 3, "POST /v1/withdrawals",
     "teller: 60000.00 on a booked appointment (held: NEW_ACCOUNT_LARGE)"),
    ("book_appointment", 3, "POST /v1/appointments", "teller: 60000.00 for today"),
    ("register_customer", 2, "POST /v1/customers", "teller"),
    ("open_account", 2, "POST /v1/accounts", "teller: for a customer registered earlier"),
    ("get_withdrawal", 10, "GET /v1/withdrawals/<id>", "auditor: an earlier request"),
    ("list_cases", 5, "GET /v1/cases", "investigator: open police_verification queue"),
    ("claim_case", 3, "POST /v1/cases/<id>/claim", "investigator: an open case"),
    ("add_note", 3, "POST /v1/cases/<id>/notes", "investigator: a case they claimed"),
    ("request_verification", 3, "POST /v1/cases/<id>/verification-requests",
     "investigator: to PSB-HF-001"),
    ("list_verifications", 2, "GET /v1/verifications", "police_liaison PSB-HF-001: pending"),
    ("confirm_verification", 3, "POST /v1/verifications/<id>/confirmation",
     "police_liaison PSB-HF-001: 4 cleared : 1 fraud_victim"),
    ("list_notifications", 5, "GET /v1/notifications", "teller: ?customer_id= of a held customer"),
)  # fmt: skip
assert sum(weight for _, weight, _, _ in MIX) == 100
# The slots that need a work item made earlier (asynchronously, for claims); with none ready
# the slot sends an approved withdrawal instead, counted as a fallback.
POOLED = {
    "withdrawal_appointment": "appointments",
    "open_account": "registered",
    "claim_case": "open_cases",
    "add_note": "claimed",
    "request_verification": "noted",
    "confirm_verification": "requested",
}
# Shares of the mix that hold money (each takes one use of a hold account).
HOLD_SHARE = sum(w for k, w, _, _ in MIX if k in ("withdrawal_held", "book_appointment")) / 100
# A 409 on these is a business answer (already claimed, already confirmed, a race to retry),
# reported apart from the errors; a 409 anywhere else is an error.
CONFLICT_OK = {
    "POST /v1/cases/<id>/claim",
    "POST /v1/cases/<id>/notes",
    "POST /v1/cases/<id>/verification-requests",
    "POST /v1/verifications/<id>/confirmation",
}
POLICE_UNIT = "PSB-HF-001"

MINIMAL_APP = '''
"""The minimal stack: parse the JSON, commit one durable insert, answer."""
import os, threading, orjson
from flask import Flask, request

app = Flask(__name__)
DSN = os.environ["BENCH_MINIMAL_DSN"]
local = threading.local()


def connection():
    conn = getattr(local, "conn", None)
    if conn is None:
        if DSN.startswith("postgresql"):
            import psycopg
            conn = psycopg.connect(DSN)
        else:
            import sqlite3
            conn = sqlite3.connect(DSN, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # as shared/db.py
        local.conn = conn
    return conn


@app.post("/write")
def write():
    body = request.get_json()
    conn = connection()
    data = orjson.dumps(body).decode()
    if DSN.startswith("postgresql"):
        row = conn.execute("INSERT INTO writes (body) VALUES (%s) RETURNING id", (data,))
        new_id = row.fetchone()[0]
        conn.commit()
    else:
        conn.execute("BEGIN IMMEDIATE")
        new_id = conn.execute("INSERT INTO writes (body) VALUES (?)", (data,)).lastrowid
        conn.execute("COMMIT")
    return {"id": new_id}, 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
'''


# ---------------------------------------------------------------- processes and their CPU


def _own_cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


@contextmanager
def warden_system(var: Path, postgres: str | None, web_workers: int = 1):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update({"WARDEN_VAR_DIR": str(var), "WARDEN_JWT_SECRET": SECRET})
    env["WARDEN_LOG_LEVEL"] = "warning"
    *ports, portal_port, nats_port = free_ports(len(SERVICES) + 2)
    env["WARDEN_PORTAL_PORT"] = str(portal_port)
    created = []
    for name, port in zip(SERVICES, ports, strict=True):
        env[f"WARDEN_{name.upper()}_PORT"] = str(port)
        if postgres:
            database = f"bench_load_{name}_{uuid.uuid4().hex[:8]}"
            env[f"WARDEN_{name.upper()}_DATABASE_URL"] = servers.create_database(postgres, database)
            created.append(database)
    var.mkdir(parents=True, exist_ok=True)
    log = open(var / "system.log", "wb")  # noqa: SIM115 - closed after the system stops
    system = System(list(SERVICES), env, web_workers, output=log, nats_port=nats_port)
    try:
        system.start()
        yield system
    finally:
        system.stop()
        log.close()
        for database in created:
            servers.drop_database(postgres, database)


def warden_pids(system: System) -> list[int]:
    return list(warden_roots(system).values())


def warden_roots(system: System) -> dict[str, int]:
    """Each process `warden up` started, by name (`withdrawals web`, `nats-server`...)."""
    roots = {" ".join(key): p.pid for key, p in system.processes.items()}
    if system.nats and system.nats.process:
        roots["nats-server"] = system.nats.process.pid
    return roots


@contextmanager
def minimal_stack(var: Path, postgres: str | None, workers: int, threads: int):
    (var / "minimal_app.py").write_text(MINIMAL_APP)
    database = None
    if postgres:
        database = f"bench_load_minimal_{uuid.uuid4().hex[:8]}"
        dsn = servers.create_database(postgres, database)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE writes (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    else:
        import sqlite3

        dsn = str(var / "minimal.sqlite")
        with sqlite3.connect(dsn) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    (port,) = free_ports(1)
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        "--keep-alive", "5", "minimal_app:app",
    ]  # fmt: skip
    log = open(var / "minimal.log", "wb")  # noqa: SIM115 - closed after it stops
    process = subprocess.Popen(
        command,
        cwd=var,
        env={**os.environ, "BENCH_MINIMAL_DSN": dsn},
        stdout=log,
        stderr=log,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    try:
        wait_for_port("127.0.0.1", port, 30)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop(process, grace=20)
        log.close()
        if database:
            servers.drop_database(postgres, database)


# ---------------------------------------------------------------- requests


def headers(role: str, sub: str, **claims) -> dict:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, role, **claims)}"}


TELLER = headers("teller", "t-001", branch_id=BRANCH)
AUDITOR = headers("auditor", "a-001")
INVESTIGATOR = headers("investigator", "i-007")
LIAISON = headers("police_liaison", "p-001", police_unit=POLICE_UNIT)
_serial = itertools.count(1)


def withdrawal_body(account_id: str, amount: str, purpose: str) -> dict:
    return {"account_id": account_id, "amount": amount, "currency": "CNY",
            "channel": "counter_cash", "purpose": purpose, "branch_id": BRANCH}  # fmt: skip


def with_key(base: dict) -> dict:
    return {**base, "Idempotency-Key": str(uuid.uuid4())}


def post_headers() -> dict:
    return with_key(TELLER)


def business_date() -> str:
    """Today in Asia/Shanghai, the business calendar appointments are booked on (DOMAIN §2)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


@dataclass
class Case:
    """A work item: a police_verification case, and the withdrawal it holds."""

    case_id: str
    withdrawal_id: str | None
    verification_id: str | None = None


@dataclass
class World:
    """What the setup made and the steps keep using, and the pools of ready work items."""

    urls: dict
    everyday: list[str] = field(default_factory=list)
    hold_accounts: list[str] = field(default_factory=list)
    customers: dict = field(default_factory=dict)  # account id -> customer id
    withdrawals: list[str] = field(default_factory=list)  # ids to GET
    held_customers: list[str] = field(default_factory=list)  # whose notifications to read
    hold_uses: Counter = field(default_factory=Counter)
    everyday_next: itertools.count = field(default_factory=itertools.count)
    # Pools, oldest first: each stage of a case's work takes from one and feeds the next.
    appointments: deque = field(default_factory=deque)  # (appointment id, account id)
    registered: deque = field(default_factory=deque)  # customer ids without an account yet
    open_cases: deque = field(default_factory=deque)  # Case, unclaimed
    claimed: deque = field(default_factory=deque)  # Case, claimed by INVESTIGATOR
    noted: deque = field(default_factory=deque)  # Case, claimed and noted
    requested: deque = field(default_factory=deque)  # Case with a pending verification
    seen_cases: set = field(default_factory=set)

    def hold_account(self) -> str | None:
        for account in self.hold_accounts:
            if self.hold_uses[account] < 2:
                self.hold_uses[account] += 1
                return account
        return None

    def everyday_account(self) -> str:
        return self.everyday[next(self.everyday_next) % len(self.everyday)]

    def offer_case(self, case_id: str, withdrawal_id: str | None) -> None:
        """A case opened (found by a queue read or a hold's sample) joins the claim pool once."""
        if case_id not in self.seen_cases:
            self.seen_cases.add(case_id)
            self.open_cases.append(Case(case_id, withdrawal_id))

    def pools(self) -> dict:
        return {name: len(getattr(self, name)) for name in sorted(set(POOLED.values()))}


async def retry_404(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        response = await client.request(method, url, **kwargs)
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


def customer_body(birth_year: int) -> dict:
    return {
        "name": "王芳", "id_type": "resident_id",
        "id_number": f"34{birth_year}0101{next(_serial):08d}", "birth_date": f"{birth_year}-01-01",
        "phone": "13800001234", "email": "wang.fang@example.com", "occupation": "engineer",
        "employer": "", "preferred_language": "zh-CN",
    }  # fmt: skip


def account_body(customer_id: str) -> dict:
    return {"customer_id": customer_id, "account_class": "I", "purpose": "savings",
            "purpose_detail": "salary", "channel": "counter", "documents": [],
            "branch_id": BRANCH}  # fmt: skip


def appointment_body(account_id: str) -> dict:
    return {"account_id": account_id, "amount": "60000.00", "currency": "CNY",
            "date": business_date(), "branch_id": BRANCH, "purpose": "living_expenses",
            "source_of_funds": "salary savings"}  # fmt: skip


async def open_one(client: httpx.AsyncClient, world: World, birth_year: int) -> str:
    accounts = world.urls["accounts"]
    body = customer_body(birth_year)
    customer = await client.post(f"{accounts}/v1/customers", json=body, headers=post_headers())
    customer.raise_for_status()
    customer_id = customer.json()["id"]
    body = account_body(customer_id)
    opened = await client.post(f"{accounts}/v1/accounts", json=body, headers=post_headers())
    opened.raise_for_status()
    account_id = opened.json()["id"]
    world.customers[account_id] = customer_id
    # withdrawals knows the account once a request is not a 404; this one is rejected
    # (APPOINTMENT_REQUIRED), so it never counts towards VELOCITY.
    known = await retry_404(
        client, "POST", f"{world.urls['withdrawals']}/v1/withdrawals",
        json=withdrawal_body(account_id, "60000.00", "living_expenses"), headers=post_headers(),
    )  # fmt: skip
    known.raise_for_status()
    return account_id


async def gather_limited(factories, concurrency: int = 8) -> list:
    semaphore = asyncio.Semaphore(concurrency)

    async def run(factory):
        async with semaphore:
            return await factory()

    return await asyncio.gather(*(run(f) for f in factories))


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


async def events_of(client: httpx.AsyncClient, url: str, headers: dict) -> list[dict]:
    response = await client.get(url, headers=headers)
    return response.json()["items"] if response.status_code == 200 else []


async def held_event(client: httpx.AsyncClient, world: World, withdrawal_id: str) -> dict:
    url = f"{world.urls['withdrawals']}/v1/withdrawals/{withdrawal_id}/events"
    return next(e for e in await events_of(client, url, AUDITOR) if e["type"] == "WithdrawalHeld")


async def case_of(client: httpx.AsyncClient, world: World, withdrawal_id: str, wait: float):
    """(case id, hold -> case opened seconds from the events' recorded_at), or None."""
    held = await held_event(client, world, withdrawal_id)
    case_id = f"case_{held['event_id']}"  # services/cases/opening.py case_id_for
    url = f"{world.urls['cases']}/v1/cases/{case_id}/events"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        events = await events_of(client, url, INVESTIGATOR)
        opened = [e for e in events if e["type"] == "CaseOpened"]
        if opened:
            return case_id, seconds_between(held["recorded_at"], opened[0]["recorded_at"])
        await asyncio.sleep(0.1)
    return None


async def notification_of(client, world: World, withdrawal_id: str, account_id: str, wait: float):
    """Hold -> the customer's withdrawal_held notification, seconds (its created_at), or None."""
    held = await held_event(client, world, withdrawal_id)
    customer_id = world.customers.get(account_id)
    url = f"{world.urls['notify']}/v1/notifications?customer_id={customer_id}&limit=50"
    deadline = time.monotonic() + wait
    while customer_id and time.monotonic() < deadline:
        response = await client.get(url, headers=INVESTIGATOR)
        items = response.json()["items"] if response.status_code == 200 else []
        mine = [n for n in items if n["source_event_id"] == held["event_id"]]
        if mine:
            return seconds_between(held["recorded_at"], mine[0]["created_at"])
        await asyncio.sleep(0.1)
    return None


MOVED = ("WithdrawalReleased", "WithdrawalBlocked")


async def movement_of(client, world: World, case: Case, wait: float):
    """Police confirmation -> the withdrawal released or blocked, seconds, or None."""
    url = f"{world.urls['cases']}/v1/cases/{case.case_id}/events"
    confirmed = [
        e
        for e in await events_of(client, url, INVESTIGATOR)
        if e["type"] == "PoliceVerificationConfirmed"
    ]
    if not confirmed or not case.withdrawal_id:
        return None
    url = f"{world.urls['withdrawals']}/v1/withdrawals/{case.withdrawal_id}/events"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        moved = [e for e in await events_of(client, url, AUDITOR) if e["type"] in MOVED]
        if moved:
            return seconds_between(confirmed[0]["recorded_at"], moved[0]["recorded_at"])
        await asyncio.sleep(0.1)
    return None


async def stage_setup_cases(client: httpx.AsyncClient, world: World) -> None:
    """Spread the setup's cases over the stages, so every stage has work from the first step."""
    cases = list(world.open_cases)
    world.open_cases.clear()
    quarter = max(len(cases) // 4, 1)
    world.open_cases.extend(cases[:quarter])

    async def work(case: Case, stages: int) -> None:
        base = f"{world.urls['cases']}/v1/cases/{case.case_id}"
        steps = [
            ("claim", {}),
            ("notes", {"text": "Customer called back; story checked against the appointment."}),
            ("verification-requests", {"police_unit": POLICE_UNIT, "summary": "Large cash."}),
        ][:stages]
        for path, body in steps:
            url = f"{base}/{path}"
            response = await client.post(url, json=body, headers=with_key(INVESTIGATOR))
            response.raise_for_status()
            if path == "verification-requests":
                case.verification_id = response.json()["id"]
        pool = (world.claimed, world.noted, world.requested)[stages - 1]
        pool.append(case)

    staged = [(c, min(1 + n // quarter, 3)) for n, c in enumerate(cases[quarter:])]
    await gather_limited([lambda c=c, s=s: work(c, s) for c, s in staged])


async def setup(world: World, client: httpx.AsyncClient, args, holds_needed: int) -> dict:
    started = time.monotonic()
    everyday = [lambda: open_one(client, world, 1985) for _ in range(args.accounts)]
    world.everyday = await gather_limited(everyday)
    mixing = "warden-mix" in args.targets.split(",")
    ready = args.claim_pool // 3 if mixing else 0  # appointments booked, customers registered
    hold_count = (holds_needed // 2 + 1 if mixing else 0) + args.claim_pool + ready
    holders = [lambda: open_one(client, world, 1980) for _ in range(hold_count)]
    world.hold_accounts = await gather_limited(holders)
    held_ids = []
    for _ in range(args.claim_pool):
        account = world.hold_account()
        body = withdrawal_body(account, "20000.00", "investment")
        response = await client.post(
            f"{world.urls['withdrawals']}/v1/withdrawals", json=body, headers=post_headers()
        )
        response.raise_for_status()
        held_ids.append(response.json()["id"])
        world.held_customers.append(world.customers[account])
    world.withdrawals.extend(held_ids)
    found = await gather_limited([lambda w=w: case_of(client, world, w, 60) for w in held_ids])
    for withdrawal_id, got in zip(held_ids, found, strict=True):
        if got:
            world.offer_case(got[0], withdrawal_id)
    if mixing:
        await stage_setup_cases(client, world)
        for _ in range(ready):
            account = world.hold_account()
            url = f"{world.urls['withdrawals']}/v1/appointments"
            booked = await client.post(url, json=appointment_body(account), headers=post_headers())
            booked.raise_for_status()
            world.appointments.append((booked.json()["id"], account))
            url = f"{world.urls['accounts']}/v1/customers"
            body = customer_body(1990)
            registered = await client.post(url, json=body, headers=post_headers())
            registered.raise_for_status()
            world.registered.append(registered.json()["id"])
    return {
        "accounts": len(world.everyday),
        "hold_accounts": len(world.hold_accounts),
        "pools": world.pools(),
        "seconds": round(time.monotonic() - started, 1),
    }


class Step:
    """The answers of one step: latency from the due time per endpoint, errors, lag."""

    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()  # per endpoint
        self.error_kinds: Counter = Counter()  # "endpoint status"
        self.conflicts: Counter = Counter()  # per endpoint: 409s that are business answers
        self.conflict_kinds: Counter = Counter()  # "endpoint: detail"
        self.statuses: Counter = Counter()
        self.outcomes: Counter = Counter()  # "kind -> status" of the withdrawals
        self.kinds: Counter = Counter()  # what each slot sent, after fallbacks
        self.fallbacks: Counter = Counter()  # slots whose pool was empty
        self.lag: list[float] = []
        self.held: list[tuple[str, str]] = []  # (withdrawal id, account id)
        self.confirmed: list[Case] = []


def take(world: World, kind: str, step: Step):
    """The work item a pooled slot needs, or None (then it falls back to a withdrawal)."""
    pool = getattr(world, POOLED[kind])
    if pool:
        return pool.popleft()
    step.fallbacks[kind] += 1
    return None


def retry_later(pool: deque, item, response: httpx.Response) -> None:
    """A 409 race (the case changed meanwhile) leaves the item to be tried again."""
    if response.status_code == 409 and "retry" in response.text:
        pool.append(item)


async def post_withdrawal(client, world: World, kind: str, step: Step, appointment=None):
    if kind == "withdrawal_held":
        account = world.hold_account()
        if account is None:  # out of hold accounts: ask it as an approved one instead
            step.fallbacks[kind] += 1
            kind = "withdrawal_approved"
    if kind == "withdrawal_appointment":
        appointment_id, account = appointment
    elif kind != "withdrawal_held":
        account = world.everyday_account()
    amount, purpose = {
        "withdrawal_approved": ("100.00", "living_expenses"),
        "withdrawal_held": ("20000.00", "investment"),
        "withdrawal_rejected": ("60000.00", "living_expenses"),
        "withdrawal_appointment": ("60000.00", "living_expenses"),
    }[kind]
    body = withdrawal_body(account, amount, purpose)
    if kind == "withdrawal_appointment":
        body["appointment_id"] = appointment_id
    step.kinds[kind] += 1
    url = f"{world.urls['withdrawals']}/v1/withdrawals"
    response = await client.post(url, json=body, headers=post_headers())
    if response.status_code == 201:
        answer = response.json()
        world.withdrawals.append(answer["id"])
        step.statuses[answer["status"]] += 1
        step.outcomes[f"{kind} -> {answer['status']}"] += 1
        if answer["status"] == "held":
            step.held.append((answer["id"], account))
            world.held_customers.append(world.customers[account])
    return "POST /v1/withdrawals", response


async def mix_request(client, world: World, kind: str, step: Step) -> tuple[str, httpx.Response]:
    item = take(world, kind, step) if kind in POOLED else None
    if kind in POOLED and item is None:
        return await post_withdrawal(client, world, "withdrawal_approved", step)
    if kind.startswith("withdrawal_"):
        return await post_withdrawal(client, world, kind, step, item)
    step.kinds[kind] += 1
    cases, accounts = world.urls["cases"], world.urls["accounts"]
    if kind == "book_appointment":
        account = world.hold_account()
        if account is None:
            step.fallbacks[kind] += 1
            return await post_withdrawal(client, world, "withdrawal_approved", step)
        url = f"{world.urls['withdrawals']}/v1/appointments"
        response = await client.post(url, json=appointment_body(account), headers=post_headers())
        if response.status_code == 201:
            world.appointments.append((response.json()["id"], account))
        return "POST /v1/appointments", response
    if kind == "register_customer":
        body = customer_body(1990)
        response = await client.post(f"{accounts}/v1/customers", json=body, headers=post_headers())
        if response.status_code == 201:
            world.registered.append(response.json()["id"])
        return "POST /v1/customers", response
    if kind == "open_account":
        body = account_body(item)
        response = await client.post(f"{accounts}/v1/accounts", json=body, headers=post_headers())
        return "POST /v1/accounts", response
    if kind == "get_withdrawal":
        url = f"{world.urls['withdrawals']}/v1/withdrawals/{random.choice(world.withdrawals)}"
        return "GET /v1/withdrawals/<id>", await client.get(url, headers=AUDITOR)
    if kind == "list_cases":  # the investigator's queue; what it shows feeds the claim pool
        url = f"{cases}/v1/cases?type=police_verification&status=open&limit=50"
        response = await client.get(url, headers=INVESTIGATOR)
        if response.status_code == 200:
            for case in reversed(response.json()["items"]):  # oldest first
                world.offer_case(case["id"], case.get("withdrawal_id"))
        return "GET /v1/cases", response
    if kind == "claim_case":
        url = f"{cases}/v1/cases/{item.case_id}/claim"
        response = await client.post(url, json={}, headers=with_key(INVESTIGATOR))
        if response.status_code == 200:
            world.claimed.append(item)
        retry_later(world.open_cases, item, response)
        return "POST /v1/cases/<id>/claim", response
    if kind == "add_note":
        url = f"{cases}/v1/cases/{item.case_id}/notes"
        body = {"text": "Called the customer: says the cash is for a relative's deposit."}
        response = await client.post(url, json=body, headers=with_key(INVESTIGATOR))
        if response.status_code == 200:
            world.noted.append(item)
        retry_later(world.claimed, item, response)
        return "POST /v1/cases/<id>/notes", response
    if kind == "request_verification":
        url = f"{cases}/v1/cases/{item.case_id}/verification-requests"
        body = {"police_unit": POLICE_UNIT, "summary": "Large cash, customer under pressure."}
        response = await client.post(url, json=body, headers=with_key(INVESTIGATOR))
        if response.status_code == 201:
            item.verification_id = response.json()["id"]
            world.requested.append(item)
        retry_later(world.noted, item, response)
        return "POST /v1/cases/<id>/verification-requests", response
    if kind == "list_verifications":  # the liaison's worklist (each case shown records a view)
        url = f"{cases}/v1/verifications?status=pending&limit=20"
        return "GET /v1/verifications", await client.get(url, headers=LIAISON)
    if kind == "confirm_verification":
        url = f"{cases}/v1/verifications/{item.verification_id}/confirmation"
        outcome = "fraud_victim" if next(_serial) % 5 == 0 else "cleared"
        body = {"outcome": outcome, "police_reference": f"HF-{next(_serial)}", "officer": "李警官"}
        response = await client.post(url, json=body, headers=with_key(LIAISON))
        if response.status_code == 200:
            step.confirmed.append(item)
        retry_later(world.requested, item, response)
        return "POST /v1/verifications/<id>/confirmation", response
    # list_notifications: a teller reads what a customer with a held withdrawal was told
    customer_id = random.choice(world.held_customers or list(world.customers.values()))
    url = f"{world.urls['notify']}/v1/notifications?customer_id={customer_id}&limit=20"
    return "GET /v1/notifications", await client.get(url, headers=TELLER)


async def offer(rate: float, seconds: float, send, in_flight: int) -> Step:
    """Open loop: request i is due at start + i / rate; latency counts from the due time.

    At most `in_flight` requests are on the wire (the pool's size); the rest wait here, on
    the clock, rather than in httpx's pool, whose queue costs O(waiting) per answer.
    """
    step = Step()
    gate = asyncio.Semaphore(in_flight)
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    start = loop.time() + 0.05
    tasks = []

    async def one(due: float):
        step.lag.append(loop.time() - due)
        try:
            async with gate:
                endpoint, response = await send(step)
        except Exception as error:  # noqa: BLE001 - a timeout or a refused connection is an error
            step.errors["(failed)"] += 1
            step.error_kinds[type(error).__name__] += 1
            step.latency["(failed)"].append(loop.time() - due)
            return
        step.latency[endpoint].append(loop.time() - due)
        status = response.status_code
        if status == 409 and endpoint in CONFLICT_OK:
            step.conflicts[endpoint] += 1
            try:
                detail = response.json().get("detail", "")
            except ValueError:
                detail = response.text
            step.conflict_kinds[f"{endpoint}: {detail[:60]}"] += 1
        elif status >= 400:
            step.errors[endpoint] += 1
            step.error_kinds[f"{endpoint} {status}"] += 1

    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    step.elapsed = loop.time() - start
    return step


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def figures(samples: list[float], elapsed: float) -> dict:
    return {
        "requests": len(samples),
        "achieved_rps": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p95_ms": round(percentile(samples, 95) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2) if samples else None,
    }


def hop_figures(sampled: int, hops: list[float]) -> dict:
    return {
        "sampled": sampled,
        "arrived": len(hops),
        "p50_ms": round(percentile(hops, 50) * 1000, 1) if hops else None,
        "p99_ms": round(percentile(hops, 99) * 1000, 1) if hops else None,
        "max_ms": round(max(hops) * 1000, 1) if hops else None,
    }


async def idle_cpu_rate(pids: list[int], seconds: float = 3.0) -> float:
    """CPU seconds per second the processes burn with no requests (polling, timers)."""
    before = tree_cpu_seconds(*pids)
    await asyncio.sleep(seconds)
    return (tree_cpu_seconds(*pids) - before) / seconds


async def settle(pids: list[int], idle: float, limit: float = 60.0) -> float:
    """Wait until the workers have caught up (CPU back near idle), so steps do not overlap."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await idle_cpu_rate(pids, 0.5) <= idle * 1.5 + 0.05:
            break
    return round(time.monotonic() - started, 1)


async def propagation(client, world: World, step: Step) -> dict:
    """Cross-service hops of this step's work, from the events' recorded_at (not measured load).

    hold -> case opened (cases), hold -> withdrawal_held notification (notify), police
    confirmation -> withdrawal released or blocked (withdrawals), each for a sample.
    """
    sample = step.held[:HOP_SAMPLE]
    found = await gather_limited([lambda w=w: case_of(client, world, w, 30) for w, _ in sample])
    for (withdrawal_id, _), got in zip(sample, found, strict=True):
        if got:
            world.offer_case(got[0], withdrawal_id)
    told = await gather_limited(
        [lambda w=w, a=a: notification_of(client, world, w, a, 30) for w, a in sample]
    )
    moves = step.confirmed[:HOP_SAMPLE]
    moved = await gather_limited([lambda c=c: movement_of(client, world, c, 30) for c in moves])
    return {
        "hold_to_case": hop_figures(len(sample), [hop for _, hop in filter(None, found)]),
        "hold_to_notification": hop_figures(len(sample), [h for h in told if h is not None]),
        "confirmation_to_withdrawal": hop_figures(len(moves), [h for h in moved if h is not None]),
    }


async def run_target(target, rate, args, client, world, urls_minimal, roots, idle) -> dict:
    kinds = [kind for kind, *_ in MIX]
    weights = [weight for _, weight, *_ in MIX]
    rng = random.Random(f"{target}-{rate}")

    async def send(step: Step):
        if target == "warden-withdrawals":
            return await post_withdrawal(client, world, "withdrawal_approved", step)
        if target == "warden-mix":
            return await mix_request(client, world, rng.choices(kinds, weights)[0], step)
        if target == "warden-healthz":
            url = f"{world.urls['withdrawals']}/healthz"
            return "GET /healthz", await client.get(url)
        if target == "minimal-healthz":
            return "GET /healthz", await client.get(f"{urls_minimal}/healthz")
        body = withdrawal_body(world.everyday_account(), "100.00", "living_expenses")
        return "POST /write", await client.post(f"{urls_minimal}/write", json=body)

    by_before, own_before = cpu_by_tree(roots), _own_cpu_seconds()
    step = await offer(rate, args.seconds, send, args.connections)
    by_process = {name: spent - by_before[name] for name, spent in cpu_by_tree(roots).items()}
    cpu = sum(by_process.values())
    own = _own_cpu_seconds() - own_before
    answered = sum(len(v) for v in step.latency.values())
    everything = [x for v in step.latency.values() for x in v]
    endpoints = {}
    for endpoint, samples in sorted(step.latency.items()):
        endpoints[endpoint] = figures(samples, step.elapsed)
        endpoints[endpoint]["errors"] = step.errors[endpoint]
        endpoints[endpoint]["conflicts"] = step.conflicts[endpoint]
    result = {
        "target": target,
        "offered_rps": rate,
        "all": figures(everything, step.elapsed),
        "endpoints": endpoints,
        "errors": sum(step.errors.values()),
        "error_kinds": dict(step.error_kinds),
        "conflicts": sum(step.conflicts.values()),
        "conflict_kinds": dict(step.conflict_kinds),
        "cpu_ms_per_request": round(cpu / max(answered, 1) * 1000, 3),
        "cpu_ms_per_request_net_of_idle": round(
            max(cpu - idle * step.elapsed, 0.0) / max(answered, 1) * 1000, 3
        ),
        "system_cpu_seconds": round(cpu, 2),
        # Where the CPU went: which process (and its children) spent how much per request.
        "cpu_ms_per_request_by_process": {
            name: round(spent / max(answered, 1) * 1000, 3)
            for name, spent in sorted(by_process.items(), key=lambda item: -item[1])
        },
        "generator_cpu_seconds": round(own, 2),
        "generator_lag_p50_ms": round(percentile(step.lag, 50) * 1000, 2),
        "generator_lag_p99_ms": round(percentile(step.lag, 99) * 1000, 2),
        "generator_offered_rps": round(len(step.lag) / step.elapsed, 1),
    }
    if target == "warden-mix":
        result["withdrawal_statuses"] = dict(step.statuses)
        result["withdrawal_outcomes"] = dict(sorted(step.outcomes.items()))
        result["sent"] = dict(step.kinds)
        result["fallbacks"] = dict(step.fallbacks)
        result.update(await propagation(client, world, step))
        result["pools_after"] = world.pools()
    return result


def breached(result: dict) -> bool:
    return result["errors"] > 0 or result["all"]["p99_ms"] > P99_LIMIT_MS


async def run_backend(backend: str, args, var: Path) -> dict:
    postgres = args.postgres if backend == "postgres" else None
    print(f"{backend}: starting Warden and the minimal stack", file=sys.stderr)
    rates = [float(r) for r in args.rates.split(",")]
    holds_needed = int(sum(rates) * args.seconds * HOLD_SHARE * 1.5)
    with (
        warden_system(var / "warden", postgres, args.web_workers) as system,
        minimal_stack(var, postgres, args.minimal_workers, args.minimal_threads) as (url, pid),
    ):
        world = World(urls=system.urls)
        limits = httpx.Limits(
            max_connections=args.connections, max_keepalive_connections=args.connections
        )
        async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as client:
            print(f"{backend}: setup", file=sys.stderr)
            made = await setup(world, client, args, holds_needed)
            print(f"{backend}: setup done {made}", file=sys.stderr)
            idle = {
                "warden": await idle_cpu_rate(warden_pids(system)),
                "minimal": await idle_cpu_rate([pid]),
            }
            made["idle_cpu_per_second"] = {k: round(v, 3) for k, v in idle.items()}
            results = []
            stopped: set[str] = set()
            for rate in rates:
                for target in args.targets.split(","):
                    if target in stopped:
                        continue
                    side = "minimal" if target.startswith("minimal") else "warden"
                    roots = {"minimal": pid} if side == "minimal" else warden_roots(system)
                    result = await run_target(
                        target, rate, args, client, world, url, roots, idle[side]
                    )
                    print(
                        f"{backend}: {target} at {rate:g}/s p99 {result['all']['p99_ms']} ms "
                        f"errors {result['errors']}",
                        file=sys.stderr,
                    )
                    results.append(result)
                    if breached(result):
                        stopped.add(target)
                    result["settle_seconds"] = await settle(warden_pids(system), idle["warden"])
                if stopped >= set(args.targets.split(",")):
                    break
    return {"setup": made, "steps": results}


# ---------------------------------------------------------------- report


def mix_lines() -> list[str]:
    """The branch mix as it is sent: share, kind, endpoint, who."""
    lines = ["the branch mix (warden-mix), shares of the slots at the offered rate:"]
    for kind, weight, endpoint, who in MIX:
        pooled = f" [pool: {POOLED[kind]}]" if kind in POOLED else ""
        lines.append(f"  {weight:>3} %  {kind:<22} {endpoint:<42} {who}{pooled}")
    lines.append(
        "  a pooled slot whose pool is empty sends an approved withdrawal instead (a fallback, "
        "counted); 409s on the case and verification actions are business answers, shown as "
        "409, not errors"
    )
    return lines


HOPS = (
    ("hold_to_case", "hold -> case opened"),
    ("hold_to_notification", "hold -> notification"),
    ("confirmation_to_withdrawal", "confirmation -> withdrawal moved"),
)


def report_lines(backend: str, outcome: dict, args) -> list[str]:
    out = [f"{backend}: open loop, {args.seconds:g} s per step, setup {outcome['setup']}"]
    header = (
        f"{'target':<18} {'offered':>7} {'endpoint':<42} {'n':>6} {'got/s':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'err':>4} {'409':>4} {'cpu ms/req':>10} {'net':>6} "
        f"{'lag p99':>8}"
    )
    out += [header, "-" * len(header)]
    for step in outcome["steps"]:
        rows = [("all", step["all"])]
        if len(step["endpoints"]) > 1:
            rows += list(step["endpoints"].items())
        for n, (endpoint, fig) in enumerate(rows):
            first = n == 0
            errors = step["errors"] if first else fig.get("errors", 0)
            conflicts = step.get("conflicts", 0) if first else fig.get("conflicts", 0)
            out.append(
                f"{step['target'] if first else '':<18} "
                f"{step['offered_rps'] if first else '':>7} {endpoint:<42} {fig['requests']:>6} "
                f"{fig['achieved_rps']:>7} {fig['p50_ms']:>8} {fig['p95_ms']:>8} "
                f"{fig['p99_ms']:>8} {errors:>4} {conflicts:>4} "
                f"{step['cpu_ms_per_request'] if first else '':>10} "
                f"{step['cpu_ms_per_request_net_of_idle'] if first else '':>6} "
                f"{step['generator_lag_p99_ms'] if first else '':>8}"
            )
        pad = f"{'':<18} {'':>7}"
        by_process = step.get("cpu_ms_per_request_by_process", {})
        if len(by_process) > 1:
            spent = ", ".join(f"{name} {ms}" for name, ms in by_process.items() if ms >= 0.05)
            out.append(f"{pad} cpu ms/req by process: {spent}")
        for key, label in HOPS:
            if key in step:
                hop = step[key]
                out.append(
                    f"{pad} {label}: {hop['arrived']}/{hop['sampled']} p50 {hop['p50_ms']} ms "
                    f"p99 {hop['p99_ms']} ms max {hop['max_ms']} ms"
                )
        if "withdrawal_statuses" in step:
            out.append(f"{pad} withdrawals {step['withdrawal_outcomes']}")
            out.append(f"{pad} fallbacks {step['fallbacks']}; pools after {step['pools_after']}")
        if step["errors"]:
            out.append(f"{pad} errors: {step['error_kinds']}")
        if step.get("conflicts"):
            out.append(f"{pad} 409 (business): {step['conflict_kinds']}")
    summary = summarize(outcome)
    out += [f"{backend}: {line}" for line in verdicts(summary)]
    return out


def report(backend: str, outcome: dict, args) -> list[str]:
    lines = report_lines(backend, outcome, args)
    print("\n" + "\n".join(lines))
    return lines


def sustained(outcome: dict, target: str, endpoint: str | None = None) -> float:
    """The highest offered rate this target took with p99 <= 100 ms and no errors."""
    best = 0.0
    for step in outcome["steps"]:
        if step["target"] == target and not breached(step):
            rate = step["offered_rps"]
            if endpoint:
                rate = step["endpoints"].get(endpoint, {}).get("achieved_rps", 0.0)
            best = max(best, rate)
    return best


def summarize(outcome: dict) -> dict:
    steps = outcome["steps"]
    run = {s["target"] for s in steps}
    capped = {t: all(not breached(s) for s in steps if s["target"] == t) for t in run}
    at_target = [
        s
        for s in outcome["steps"]
        if s["target"] == "warden-mix"
        and s["endpoints"].get("POST /v1/withdrawals", {}).get("achieved_rps", 0)
        >= 0.95 * TARGET_RATE
    ]
    return {
        "withdrawals_rps": sustained(outcome, "warden-withdrawals"),
        "mix_rps": sustained(outcome, "warden-mix"),
        "mix_withdrawals_rps": sustained(outcome, "warden-mix", "POST /v1/withdrawals"),
        "minimal_write_rps": sustained(outcome, "minimal-write"),
        "warden_healthz_rps": sustained(outcome, "warden-healthz"),
        "minimal_healthz_rps": sustained(outcome, "minimal-healthz"),
        "not_saturated": sorted(t for t, c in capped.items() if c),
        "not_measured": sorted(set(TARGETS) - run),
        "at_300": at_target[0] if at_target else None,
        "slow_below_300": next(
            (
                {"target": s["target"], "offered_rps": s["offered_rps"], "p99_ms": p99}
                for s in steps
                if s["target"] in ("warden-withdrawals", "warden-mix")
                and s["offered_rps"] <= TARGET_RATE
                and (p99 := s["endpoints"].get("POST /v1/withdrawals", {}).get("p99_ms", 0))
                > TARGET_P99_MS
            ),
            None,
        ),
    }


def compare(ours: float, ours_open: bool, theirs: float, theirs_open: bool, goal: float):
    """(ratio, verdict): a target that never saturated gives only a lower bound of its rate."""
    if not theirs:
        return float("nan"), "NOT DECIDED (no reference figure)"
    ratio = ours / theirs
    if not ours_open and not theirs_open:
        return ratio, "meets" if ratio >= goal else "MISSES"
    if not ours_open:  # theirs is a lower bound, so the ratio is an upper bound
        if ratio < goal:
            return ratio, "MISSES (an upper bound: the reference never saturated)"
        return ratio, "NOT DECIDED (the reference never saturated; higher rates needed)"
    if not theirs_open:  # ours is a lower bound
        if ratio >= goal:
            return ratio, "meets (a lower bound: Warden never saturated)"
        return ratio, "NOT DECIDED (Warden never saturated; higher rates needed)"
    return ratio, "NOT DECIDED (neither saturated; higher rates needed)"


def verdicts(summary: dict) -> list[str]:
    lines = []
    open_ended = set(summary["not_saturated"])
    missing = set(summary["not_measured"])
    if {"warden-withdrawals", "minimal-write"} & missing:
        lines.append("the 0.5 write-rate target is NOT MEASURED in this run")
    else:
        lines.extend(write_verdict(summary, open_ended))
    if {"warden-healthz", "minimal-healthz"} & missing:
        lines.append("the 0.7 /healthz target is NOT MEASURED in this run")
    else:
        lines.extend(healthz_verdict(summary, open_ended))
    lines.extend(rate_verdicts(summary))
    return lines


def write_verdict(summary: dict, open_ended: set) -> list[str]:
    ratio, verdict = compare(
        summary["withdrawals_rps"], "warden-withdrawals" in open_ended,
        summary["minimal_write_rps"], "minimal-write" in open_ended, 0.5,
    )  # fmt: skip
    return [
        f"POST /v1/withdrawals sustained {summary['withdrawals_rps']:g}/s (p99 <= 100 ms, no "
        f"errors) vs the minimal durable write {summary['minimal_write_rps']:g}/s: "
        f"{ratio:.2f}, {verdict} the 0.5 target"
    ]


def healthz_verdict(summary: dict, open_ended: set) -> list[str]:
    ratio, verdict = compare(
        summary["warden_healthz_rps"], "warden-healthz" in open_ended,
        summary["minimal_healthz_rps"], "minimal-healthz" in open_ended, 0.7,
    )  # fmt: skip
    return [
        f"/healthz sustained {summary['warden_healthz_rps']:g}/s vs bare Flask "
        f"{summary['minimal_healthz_rps']:g}/s: {ratio:.2f}, {verdict} the 0.7 target"
    ]


def rate_verdicts(summary: dict) -> list[str]:
    lines = []
    lines.append(
        f"the branch mix sustained {summary['mix_rps']:g}/s in total, of which "
        f"POST /v1/withdrawals {summary['mix_withdrawals_rps']:g}/s"
    )
    at = summary["at_300"]
    below = summary["slow_below_300"]
    if at is None and below:
        lines.append(
            f"{TARGET_RATE} withdrawal requests/s: MISSES, POST /v1/withdrawals p99 was already "
            f"{below['p99_ms']} ms at {below['offered_rps']:g}/s offered ({below['target']}), "
            f"above {TARGET_P99_MS:g} ms, so the steps stopped before {TARGET_RATE}/s; hold -> "
            "case at that load is NOT SHOWN"
        )
    elif at is None:
        lines.append(
            f"{TARGET_RATE} withdrawal requests/s were not offered in this run: the p99 <= "
            f"{TARGET_P99_MS:g} ms and hold -> case p99 <= {TARGET_HOP_P99_MS:g} ms targets are "
            "NOT SHOWN (unmeasured, so not met)"
        )
    else:
        p99 = at["endpoints"]["POST /v1/withdrawals"]["p99_ms"]
        hop = at["hold_to_case"]["p99_ms"]
        ok = p99 <= TARGET_P99_MS and at["errors"] == 0
        hop_ok = hop is not None and hop <= TARGET_HOP_P99_MS
        lines.append(
            f"at {TARGET_RATE}/s withdrawals: p99 {p99} ms, {at['errors']} errors: "
            f"{'meets' if ok else 'MISSES'}; hold -> case p99 {hop} ms: "
            f"{'meets' if hop_ok else 'MISSES'}"
        )
    return lines


SERIES = (  # (target, endpoint or None for all, colour)
    ("warden-withdrawals", None, "#7b241c"),
    ("warden-mix", "POST /v1/withdrawals", "#c0392b"),
    ("warden-mix", None, "#e67e22"),
    ("warden-healthz", None, "#8e44ad"),
    ("minimal-write", None, "#2471a3"),
    ("minimal-healthz", None, "#17a589"),
)


def plot_svg(backend: str, outcome: dict, path: Path) -> None:
    """p99 (solid) and p50 (dashed) against offered rate, log-log, as plain SVG polylines."""
    import math

    width, height, left, right, top, bottom = 760, 440, 70, 210, 40, 50
    steps = outcome["steps"]
    rates = sorted({s["offered_rps"] for s in steps})
    values = [
        v
        for s in steps
        for fig in [s["all"], *s["endpoints"].values()]
        for v in (fig["p50_ms"], fig["p99_ms"])
        if v and v > 0
    ]
    x_lo, x_hi = math.log10(min(rates) / 1.2), math.log10(max(rates) * 1.2)
    y_lo, y_hi = math.log10(max(min(values) / 1.5, 0.1)), math.log10(max(values) * 1.5)

    def x(rate):
        return left + (math.log10(rate) - x_lo) / (x_hi - x_lo) * (width - left - right)

    def y(ms):
        ms = max(ms, 10**y_lo)
        return top + (y_hi - math.log10(ms)) / (y_hi - y_lo) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14">Warden {backend}: latency from the scheduled '
        "send time against offered rate (open loop)</text>",
    ]
    for rate in rates:
        out.append(f'<line x1="{x(rate):.1f}" y1="{top}" x2="{x(rate):.1f}" '
                   f'y2="{height - bottom}" stroke="#eee"/>')  # fmt: skip
        out.append(f'<text x="{x(rate):.1f}" y="{height - bottom + 16}" '
                   f'text-anchor="middle">{rate:g}</text>')  # fmt: skip
    for exponent in range(math.floor(y_lo), math.ceil(y_hi) + 1):
        for mantissa in (1, 2, 5):
            ms = mantissa * 10**exponent
            if y_lo <= math.log10(ms) <= y_hi:
                out.append(f'<line x1="{left}" y1="{y(ms):.1f}" x2="{width - right}" '
                           f'y2="{y(ms):.1f}" stroke="#eee"/>')  # fmt: skip
                out.append(f'<text x="{left - 6}" y="{y(ms) + 4:.1f}" '
                           f'text-anchor="end">{ms:g}</text>')  # fmt: skip
    out.append(f'<line x1="{left}" y1="{y(100):.1f}" x2="{width - right}" y2="{y(100):.1f}" '
               'stroke="#999" stroke-dasharray="2,3"/>')  # fmt: skip
    out.append(f'<text x="{width / 2 - 60}" y="{height - 12}">offered rate, req/s</text>')
    out.append(f'<text x="16" y="{top + 150}" transform="rotate(-90 16 {top + 150})">'
               "latency, ms (log)</text>")  # fmt: skip
    for n, (target, endpoint, colour) in enumerate(SERIES):
        points = {"p99_ms": [], "p50_ms": []}
        for step in steps:
            if step["target"] != target:
                continue
            fig = step["endpoints"].get(endpoint) if endpoint else step["all"]
            if fig:
                for key in points:
                    points[key].append((x(step["offered_rps"]), y(fig[key])))
        for key, dash in (("p99_ms", ""), ("p50_ms", ' stroke-dasharray="5,4"')):
            line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points[key])
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                       f'stroke-width="2"{dash}/>')  # fmt: skip
            for px, py in points[key]:
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        label = f"{target} {endpoint}" if endpoint else f"{target} (all)"
        ly = top + 20 + n * 20
        out.append(f'<line x1="{width - right + 10}" y1="{ly}" x2="{width - right + 30}" '
                   f'y2="{ly}" stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        out.append(f'<text x="{width - right + 34}" y="{ly + 4}" font-size="10">{label}</text>')
    ly = top + 20 + len(SERIES) * 20 + 10
    out.append(f'<text x="{width - right + 10}" y="{ly}" font-size="10">solid p99, dashed p50;'
               "</text>")  # fmt: skip
    out.append(f'<text x="{width - right + 10}" y="{ly + 14}" font-size="10">dotted: 100 ms'
               "</text>")  # fmt: skip
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def write_markdown(path: Path, args, mix: list[str], tables: list[list[str]]) -> None:
    command = " ".join(["python", "bench/load.py", *sys.argv[1:]])
    out = [
        "## Whole-system load: the figures of one run (`bench/load.py`)",
        "",
        f"`{command}`, {os.cpu_count()} CPUs, {datetime.now().date().isoformat()}.",
        "",
    ]
    if mix:
        out += ["```", *mix, "```", ""]
    for table in tables:
        out += ["```", *table, "```", ""]
    path.write_text("\n".join(out))
    print(f"markdown written to {path}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,200,400", help="offered req/s, in order")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each step")
    parser.add_argument("--accounts", type=int, default=200, help="everyday active accounts")
    parser.add_argument(
        "--claim-pool",
        type=int,
        default=30,
        help="cases held in the setup, spread over the stages (open, claimed, noted, requested)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="requests on the wire at once (the pool); more wait on the clock",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="gunicorn workers per Warden web app (1, as `make run`; production's conf says 2)",
    )
    parser.add_argument("--minimal-workers", type=int, default=2)
    parser.add_argument("--minimal-threads", type=int, default=4)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("WARDEN_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="also on PostgreSQL: an admin URL; databases are created and dropped here",
    )
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help=f"a subset of {','.join(TARGETS)}"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--plot-dir", default=str(ROOT / "docs"), help="where the SVGs go")
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        help="also write the mix and the tables as a Markdown section to FILE (for the docs)",
    )
    args = parser.parse_args()
    backends = [] if args.skip_sqlite else ["sqlite"]
    if args.postgres:
        backends.append("postgres")
    outcomes = {}
    for backend in backends:
        var = Path(tempfile.mkdtemp(prefix=f"warden-bench-load-{backend}-"))
        try:
            outcomes[backend] = asyncio.run(run_backend(backend, args, var))
        finally:
            shutil.rmtree(var, ignore_errors=True)
        plot = Path(args.plot_dir) / f"load-{backend}.svg"
        plot_svg(backend, outcomes[backend], plot)
        print(f"{backend}: plot written to {plot}", file=sys.stderr)
    mixing = "warden-mix" in args.targets.split(",")
    if mixing:
        print("\n" + "\n".join(mix_lines()))
    tables = [report(backend, outcome, args) for backend, outcome in outcomes.items()]
    if args.markdown:
        write_markdown(Path(args.markdown), args, mix_lines() if mixing else [], tables)
    summary = {
        backend: {
            "rates": args.rates,
            "seconds": args.seconds,
            "web_workers": args.web_workers,
            "cpus": os.cpu_count(),
            "mix": {kind: weight for kind, weight, *_ in MIX},
            **summarize(outcome),
            "steps": outcome["steps"],
            "setup": outcome["setup"],
        }
        for backend, outcome in outcomes.items()
    }
    for result in summary.values():
        result.pop("at_300", None)
    print(orjson.dumps(summary).decode())


if __name__ == "__main__":
    main()
