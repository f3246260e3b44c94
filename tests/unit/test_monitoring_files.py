"""infra/monitoring and compose's health checks agree with the metrics and endpoints Warden has."""

import json
import re
from pathlib import Path

import yaml

from shared.cli import SERVICES
from shared.config import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "infra" / "monitoring"
EXPECTED_ALERTS = {
    "warden-pipeline": {
        "WardenRelayLagging",
        "WardenRelayStalled",
        "WardenDeadLetters",
        "WardenConsumerStalled",
        "WardenConsumerNotRunning",
        "WardenWorkerNatsDisconnected",
        "WardenTargetDown",
    },
    "warden-cases": {"WardenCaseSlaBreached", "WardenCaseSlaWarnings"},
}
SUFFIXES = re.compile(r"_(total|bucket|count|sum)$")


def exported_metric_names() -> set[str]:
    """Every `"warden_…"` string literal in the code: the names Warden's collectors emit."""
    names = set()
    for path in [*ROOT.glob("shared/**/*.py"), *ROOT.glob("services/**/*.py")]:
        names |= set(re.findall(r'"(warden_[a-z_]+)"', path.read_text()))
    return names


def referenced(expression: str) -> set[str]:
    return {SUFFIXES.sub("", name) for name in re.findall(r"\bwarden_[a-z_]+", expression)}


def alert_rules() -> dict:
    return yaml.safe_load((MONITORING / "alerts.yaml").read_text())


def test_alert_rules_parse_into_the_expected_groups_with_complete_rules():
    groups = {group["name"]: group["rules"] for group in alert_rules()["groups"]}
    assert {name: {r["alert"] for r in rules} for name, rules in groups.items()} == EXPECTED_ALERTS
    for rules in groups.values():
        for rule in rules:
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_alerts_and_dashboard_use_only_metrics_that_warden_exports():
    exported = exported_metric_names()
    expressions = [r["expr"] for g in alert_rules()["groups"] for r in g["rules"]]
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    expressions += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for expression in expressions:
        assert referenced(expression) <= exported, expression


def test_every_alert_is_documented_in_operations():
    operations = (ROOT / "docs" / "operations.md").read_text()
    for alerts in EXPECTED_ALERTS.values():
        for alert in alerts:
            assert f"`{alert}`" in operations, alert


def test_prometheus_scrapes_every_web_and_worker_that_compose_runs():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yaml"]
    targets = {
        target: static["labels"]["service"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for name in SERVICES:
        assert targets[f"{name}-web:{DEFAULT_PORTS[name]}"] == name
        assert targets[f"{name}-worker:9000"] == name


def test_every_container_has_a_health_check_on_its_own_endpoint():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert all("healthcheck" in service for service in services.values())
    for name in SERVICES:
        web, worker = services[f"{name}-web"], services[f"{name}-worker"]
        assert web["healthcheck"]["test"][-1] == f"http://127.0.0.1:{DEFAULT_PORTS[name]}/readyz"
        port = worker["environment"][f"WARDEN_{name.upper()}_WORKER_HEALTH_PORT"]
        assert worker["healthcheck"]["test"][-1] == f"http://127.0.0.1:{port}/healthz"
        assert worker["environment"]["WARDEN_WORKER_HEALTH_BIND"] == "0.0.0.0"
    portal = services["cases-portal"]["healthcheck"]["test"][-1]
    assert portal == "http://127.0.0.1:8005/readyz"
