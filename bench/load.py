"""Open-loop load on the whole system as `make run` starts it, beside the minimal stack.

Run from the repository root: `python bench/load.py [--rates 25,50,100,200,400] [--seconds 10]
[--postgres [URL]]`. It starts Warden itself (shared.runner.System: NATS and every service's
gunicorn web and worker, on free ports, WARDEN_VAR_DIR in a temporary directory; on
PostgreSQL a database per service, created and dropped here), and, for reference, the same
stack doing the minimum: a bare Flask app on gunicorn, 2 workers x 4 gthreads, that parses the
JSON and commits one durable insert per request (SQLite in WAL with Warden's pragmas from
shared/db.py, or PostgreSQL), and its bare /healthz.

Setup (not measured): customers registered and accounts opened through accounts, each account
waited for in withdrawals (a rejected request, retried while withdrawals answers 404), and a
pool of held withdrawals whose cases are claimed during the first step.

Each step offers one target a fixed rate for --seconds: request i is due at start + i / rate
and is sent then whatever the answers before it did (open loop); its latency is counted from
that due time, so a slow system shows its queue instead of slowing the load (no coordinated
omission). The generator's own lag (send time - due time) is reported: when it is large, the
figures are the generator's, not the system's. The targets, stepped up independently until
p99 passes 100 ms or an error appears:
  warden-withdrawals  POST /v1/withdrawals only, approved 100.00 counter_cash, round robin
                  over the everyday accounts (the issue's wrk measurement, open loop)
  warden-mix      the branch mix below, at the offered rate in total
  warden-healthz  GET /healthz of withdrawals
  minimal-write   POST /write of the reference (JSON parsed, one durable insert)
  minimal-healthz GET /healthz of the reference
The mix: 70 % POST /v1/withdrawals (56 % approved 100.00 counter_cash, round robin over the
everyday accounts; 7 % held, 20000.00 investment, on accounts of their own, at most twice
each so VELOCITY never fires; 7 % rejected, 60000.00 counter_cash without an appointment), 15 %
GET /v1/withdrawals/<id> of an earlier request, 10 % GET /v1/cases?type=police_verification,
5 % POST /v1/cases/<id>/claim of a case opened by an earlier hold.

CPU seconds per request: user + system time of every process of the target (the gunicorn
masters and workers, the service workers and NATS, read from /proc/<pid>/stat) before and
after the step, over the requests answered. Hold -> case: after each step, for a sample of
that step's holds, CaseOpened's recorded_at minus WithdrawalHeld's, from the events.

Output: a table, then the last line a JSON object; the plot (p99 and p50 against offered rate)
is written as SVG to docs/load-<backend>.svg.
"""

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
MIX = (  # (kind, weight in %)
    ("withdrawal_approved", 56),
    ("withdrawal_held", 7),
    ("withdrawal_rejected", 7),
    ("get_withdrawal", 15),
    ("list_cases", 10),
    ("claim_case", 5),
)

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


def _tree_cpu_seconds(roots: list[int]) -> float:
    """utime + stime of `roots` and all their descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    wanted = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                grew = True
    return sum(times.get(pid, 0.0) for pid in wanted)


def _own_cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


@contextmanager
def warden_system(var: Path, postgres: str | None):
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
    system = System(list(SERVICES), env, output=log, nats_port=nats_port)
    try:
        system.start()
        yield system
    finally:
        system.stop()
        log.close()
        for database in created:
            servers.drop_database(postgres, database)


def warden_pids(system: System) -> list[int]:
    pids = [p.pid for p in system.processes.values()]
    if system.nats and system.nats.process:
        pids.append(system.nats.process.pid)
    return pids


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
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        if database:
            servers.drop_database(postgres, database)


# ---------------------------------------------------------------- requests


def headers(role: str, sub: str, **claims) -> dict:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, role, **claims)}"}


TELLER = headers("teller", "t-001", branch_id=BRANCH)
AUDITOR = headers("auditor", "a-001")
INVESTIGATOR = headers("investigator", "i-007")
_serial = itertools.count(1)


def withdrawal_body(account_id: str, amount: str, purpose: str) -> dict:
    return {"account_id": account_id, "amount": amount, "currency": "CNY",
            "channel": "counter_cash", "purpose": purpose, "branch_id": BRANCH}  # fmt: skip


def post_headers() -> dict:
    return {**TELLER, "Idempotency-Key": str(uuid.uuid4())}


@dataclass
class World:
    """What the setup made and the steps keep using."""

    urls: dict
    everyday: list[str] = field(default_factory=list)
    hold_accounts: list[str] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)  # ids to GET
    cases: list[str] = field(default_factory=list)  # unclaimed cases to claim
    hold_uses: Counter = field(default_factory=Counter)
    everyday_next: itertools.count = field(default_factory=itertools.count)

    def hold_account(self) -> str | None:
        for account in self.hold_accounts:
            if self.hold_uses[account] < 2:
                self.hold_uses[account] += 1
                return account
        return None

    def everyday_account(self) -> str:
        return self.everyday[next(self.everyday_next) % len(self.everyday)]


async def retry_404(client: httpx.AsyncClient, method: str, url: str, **kwargs) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        response = await client.request(method, url, **kwargs)
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


async def open_one(client: httpx.AsyncClient, world: World, birth_year: int) -> str:
    accounts = world.urls["accounts"]
    body = {
        "name": "王芳", "id_type": "resident_id",
        "id_number": f"34{birth_year}0101{next(_serial):08d}", "birth_date": f"{birth_year}-01-01",
        "phone": "13800001234", "email": "wang.fang@example.com", "occupation": "engineer",
        "employer": "", "preferred_language": "zh-CN",
    }  # fmt: skip
    customer = await client.post(f"{accounts}/v1/customers", json=body, headers=post_headers())
    customer.raise_for_status()
    body = {"customer_id": customer.json()["id"], "account_class": "I", "purpose": "savings",
            "purpose_detail": "salary", "channel": "counter", "documents": [],
            "branch_id": BRANCH}  # fmt: skip
    opened = await client.post(f"{accounts}/v1/accounts", json=body, headers=post_headers())
    opened.raise_for_status()
    account_id = opened.json()["id"]
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


async def case_of(client: httpx.AsyncClient, world: World, withdrawal_id: str, wait: float):
    """(case id, hold -> case opened seconds from the events' recorded_at), or None."""
    base = world.urls["withdrawals"]
    events = await client.get(f"{base}/v1/withdrawals/{withdrawal_id}/events", headers=AUDITOR)
    held = next(e for e in events.json()["items"] if e["type"] == "WithdrawalHeld")
    case_id = f"case_{held['event_id']}"  # services/cases/opening.py case_id_for
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        url = f"{world.urls['cases']}/v1/cases/{case_id}/events"
        response = await client.get(url, headers=INVESTIGATOR)
        if response.status_code == 200:
            opened = next(e for e in response.json()["items"] if e["type"] == "CaseOpened")
            hop = datetime.fromisoformat(opened["recorded_at"]) - datetime.fromisoformat(
                held["recorded_at"]
            )
            return case_id, hop.total_seconds()
        await asyncio.sleep(0.1)
    return None


async def setup(world: World, client: httpx.AsyncClient, args, holds_needed: int) -> dict:
    started = time.monotonic()
    everyday = [lambda: open_one(client, world, 1985) for _ in range(args.accounts)]
    world.everyday = await gather_limited(everyday)
    mixing = "warden-mix" in args.targets.split(",")
    hold_count = (holds_needed // 2 + 1 if mixing else 0) + args.claim_pool
    holders = [lambda: open_one(client, world, 1980) for _ in range(hold_count)]
    world.hold_accounts = await gather_limited(holders)
    held_ids = []
    for _ in range(args.claim_pool):
        body = withdrawal_body(world.hold_account(), "20000.00", "investment")
        response = await client.post(
            f"{world.urls['withdrawals']}/v1/withdrawals", json=body, headers=post_headers()
        )
        response.raise_for_status()
        held_ids.append(response.json()["id"])
    world.withdrawals.extend(held_ids)
    found = await gather_limited([lambda w=w: case_of(client, world, w, 60) for w in held_ids])
    world.cases.extend(case_id for case_id, _ in filter(None, found))
    return {
        "accounts": len(world.everyday),
        "hold_accounts": len(world.hold_accounts),
        "claim_pool": len(world.cases),
        "seconds": round(time.monotonic() - started, 1),
    }


class Step:
    """The answers of one step: latency from the due time per endpoint, errors, lag."""

    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.statuses: Counter = Counter()
        self.lag: list[float] = []
        self.held: list[str] = []


async def mix_request(client, world: World, kind: str, step: Step) -> tuple[str, httpx.Response]:
    base = world.urls["withdrawals"]
    if kind.startswith("withdrawal_"):
        if kind == "withdrawal_held":
            account = world.hold_account()
            if account is None:  # out of hold accounts: ask it as an approved one instead
                kind, account = "withdrawal_approved", world.everyday_account()
        else:
            account = world.everyday_account()
        amount, purpose = {
            "withdrawal_approved": ("100.00", "living_expenses"),
            "withdrawal_held": ("20000.00", "investment"),
            "withdrawal_rejected": ("60000.00", "living_expenses"),
        }[kind]
        body = withdrawal_body(account, amount, purpose)
        response = await client.post(f"{base}/v1/withdrawals", json=body, headers=post_headers())
        if response.status_code == 201:
            answer = response.json()
            world.withdrawals.append(answer["id"])
            step.statuses[answer["status"]] += 1
            if answer["status"] == "held":
                step.held.append(answer["id"])
        return "POST /v1/withdrawals", response
    if kind == "get_withdrawal":
        withdrawal_id = random.choice(world.withdrawals)
        url = f"{base}/v1/withdrawals/{withdrawal_id}"
        return "GET /v1/withdrawals/<id>", await client.get(url, headers=AUDITOR)
    if kind == "list_cases":
        url = f"{world.urls['cases']}/v1/cases?type=police_verification&limit=50"
        return "GET /v1/cases", await client.get(url, headers=INVESTIGATOR)
    if not world.cases:  # nothing left to claim: read the queue instead
        url = f"{world.urls['cases']}/v1/cases?type=police_verification&limit=50"
        return "GET /v1/cases", await client.get(url, headers=INVESTIGATOR)
    url = f"{world.urls['cases']}/v1/cases/{world.cases.pop()}/claim"
    return "POST /v1/cases/<id>/claim", await client.post(url, json={}, headers=INVESTIGATOR)


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
            step.errors[type(error).__name__] += 1
            step.latency["(failed)"].append(loop.time() - due)
            return
        step.latency[endpoint].append(loop.time() - due)
        if response.status_code >= 400:
            step.errors[f"{endpoint} {response.status_code}"] += 1

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


async def idle_cpu_rate(pids: list[int], seconds: float = 3.0) -> float:
    """CPU seconds per second the processes burn with no requests (polling, timers)."""
    before = _tree_cpu_seconds(pids)
    await asyncio.sleep(seconds)
    return (_tree_cpu_seconds(pids) - before) / seconds


async def settle(pids: list[int], idle: float, limit: float = 60.0) -> float:
    """Wait until the workers have caught up (CPU back near idle), so steps do not overlap."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await idle_cpu_rate(pids, 0.5) <= idle * 1.5 + 0.05:
            break
    return round(time.monotonic() - started, 1)


async def run_target(target, rate, args, client, world, urls_minimal, pids, idle) -> dict:
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    rng = random.Random(f"{target}-{rate}")

    async def send(step: Step):
        if target == "warden-withdrawals":
            return await mix_request(client, world, "withdrawal_approved", step)
        if target == "warden-mix":
            return await mix_request(client, world, rng.choices(kinds, weights)[0], step)
        if target == "warden-healthz":
            url = f"{world.urls['withdrawals']}/healthz"
            return "GET /healthz", await client.get(url)
        if target == "minimal-healthz":
            return "GET /healthz", await client.get(f"{urls_minimal}/healthz")
        body = withdrawal_body(world.everyday_account(), "100.00", "living_expenses")
        return "POST /write", await client.post(f"{urls_minimal}/write", json=body)

    cpu_before, own_before = _tree_cpu_seconds(pids), _own_cpu_seconds()
    step = await offer(rate, args.seconds, send, args.connections)
    cpu = _tree_cpu_seconds(pids) - cpu_before
    own = _own_cpu_seconds() - own_before
    answered = sum(len(v) for v in step.latency.values())
    everything = [x for v in step.latency.values() for x in v]
    result = {
        "target": target,
        "offered_rps": rate,
        "all": figures(everything, step.elapsed),
        "endpoints": {e: figures(v, step.elapsed) for e, v in sorted(step.latency.items())},
        "errors": sum(step.errors.values()),
        "error_kinds": dict(step.errors),
        "cpu_ms_per_request": round(cpu / max(answered, 1) * 1000, 3),
        "cpu_ms_per_request_net_of_idle": round(
            max(cpu - idle * step.elapsed, 0.0) / max(answered, 1) * 1000, 3
        ),
        "system_cpu_seconds": round(cpu, 2),
        "generator_cpu_seconds": round(own, 2),
        "generator_lag_p50_ms": round(percentile(step.lag, 50) * 1000, 2),
        "generator_lag_p99_ms": round(percentile(step.lag, 99) * 1000, 2),
        "generator_offered_rps": round(len(step.lag) / step.elapsed, 1),
    }
    if target == "warden-mix":
        result["withdrawal_statuses"] = dict(step.statuses)
        sample = step.held[:HOP_SAMPLE]
        found = await gather_limited([lambda w=w: case_of(client, world, w, 30) for w in sample])
        hops = [hop for _, hop in filter(None, found)]
        world.cases.extend(case_id for case_id, _ in filter(None, found))
        rest = step.held[HOP_SAMPLE : HOP_SAMPLE + 50]  # more cases to claim next step
        more = await gather_limited([lambda w=w: case_of(client, world, w, 30) for w in rest])
        world.cases.extend(case_id for case_id, _ in filter(None, more))
        result["hold_to_case"] = {
            "sampled": len(sample),
            "opened": len(hops),
            "p50_ms": round(percentile(hops, 50) * 1000, 1) if hops else None,
            "p99_ms": round(percentile(hops, 99) * 1000, 1) if hops else None,
            "max_ms": round(max(hops) * 1000, 1) if hops else None,
        }
    return result


def breached(result: dict) -> bool:
    return result["errors"] > 0 or result["all"]["p99_ms"] > P99_LIMIT_MS


async def run_backend(backend: str, args, var: Path) -> dict:
    postgres = args.postgres if backend == "postgres" else None
    print(f"{backend}: starting Warden and the minimal stack", file=sys.stderr)
    rates = [float(r) for r in args.rates.split(",")]
    holds_needed = int(sum(rates) * args.seconds * 0.07 * 1.5)
    with (
        warden_system(var / "warden", postgres) as system,
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
                    pids = [pid] if target.startswith("minimal") else warden_pids(system)
                    side = "minimal" if target.startswith("minimal") else "warden"
                    result = await run_target(
                        target, rate, args, client, world, url, pids, idle[side]
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


def report(backend: str, outcome: dict, args) -> None:
    print(f"\n{backend}: open loop, {args.seconds:g} s per step, setup {outcome['setup']}")
    header = (
        f"{'target':<18} {'offered':>7} {'endpoint':<26} {'n':>6} {'got/s':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'err':>4} {'cpu ms/req':>10} {'net':>6} {'lag p99':>8}"
    )
    print(header)
    print("-" * len(header))
    for step in outcome["steps"]:
        rows = [("all", step["all"])]
        if len(step["endpoints"]) > 1:
            rows += list(step["endpoints"].items())
        for n, (endpoint, fig) in enumerate(rows):
            first = n == 0
            print(
                f"{step['target'] if first else '':<18} "
                f"{step['offered_rps'] if first else '':>7} {endpoint:<26} {fig['requests']:>6} "
                f"{fig['achieved_rps']:>7} {fig['p50_ms']:>8} {fig['p95_ms']:>8} "
                f"{fig['p99_ms']:>8} {step['errors'] if first else '':>4} "
                f"{step['cpu_ms_per_request'] if first else '':>10} "
                f"{step['cpu_ms_per_request_net_of_idle'] if first else '':>6} "
                f"{step['generator_lag_p99_ms'] if first else '':>8}"
            )
        if "hold_to_case" in step:
            hop = step["hold_to_case"]
            print(
                f"{'':<18} {'':>7} hold -> case opened: {hop['opened']}/{hop['sampled']} "
                f"p50 {hop['p50_ms']} ms p99 {hop['p99_ms']} ms max {hop['max_ms']} ms; "
                f"statuses {step['withdrawal_statuses']}"
            )
        if step["errors"]:
            print(f"{'':<18} {'':>7} errors: {step['error_kinds']}")
    summary = summarize(outcome)
    for line in verdicts(summary):
        print(f"{backend}: {line}")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,200,400", help="offered req/s, in order")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each step")
    parser.add_argument("--accounts", type=int, default=200, help="everyday active accounts")
    parser.add_argument("--claim-pool", type=int, default=30, help="cases held in the setup")
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="requests on the wire at once (the pool); more wait on the clock",
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
    for backend, outcome in outcomes.items():
        report(backend, outcome, args)
    summary = {
        backend: {
            "rates": args.rates,
            "seconds": args.seconds,
            "cpus": os.cpu_count(),
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
