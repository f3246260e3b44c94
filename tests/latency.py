"""Cross-service latency figures: the e2e tests record them, the end of the run prints them."""

import json
import os

LATENCY_DIR = os.path.join(os.path.dirname(__file__), "..", "var", "e2e-latency")


def record_latency(backend: str, samples: list[dict[str, float]]) -> None:
    """Keep one run's hop timings where the controlling process can print them."""
    os.makedirs(LATENCY_DIR, exist_ok=True)
    path = os.path.join(LATENCY_DIR, f"{os.environ['WARDEN_TEST_RUN_ID']}-{backend}.json")
    with open(path, "w") as out:
        json.dump(samples, out)


def print_latency(terminalreporter, run: str) -> None:
    """Print p50/p95/p99 per hop and backend for this run, and one JSON line."""
    if not os.path.isdir(LATENCY_DIR):
        return
    figures = {}
    for name in sorted(os.listdir(LATENCY_DIR)):
        if not name.startswith(run + "-"):
            continue
        backend = name[len(run) + 1 : -len(".json")]
        with open(os.path.join(LATENCY_DIR, name)) as source:
            samples = json.load(source)
        figures[backend] = {hop: percentiles([s[hop] for s in samples]) for hop in samples[0]}
    if not figures:
        return
    terminalreporter.section("cross-service propagation latency (ms)")
    for backend, by_hop in figures.items():
        for hop, p in by_hop.items():
            terminalreporter.write_line(
                f"{backend:<9} {hop:<34} p50 {p['p50']:7.1f}  p95 {p['p95']:7.1f}  "
                f"p99 {p['p99']:7.1f}  (n={p['n']})"
            )
    terminalreporter.write_line(json.dumps({"propagation_ms": figures}))


def percentiles(values: list[float]) -> dict:
    ordered = sorted(v * 1000 for v in values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}
