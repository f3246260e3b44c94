"""compose.yaml and infra/ agree with what the code reads, and NATS accepts its cluster config."""

import os
import subprocess
from pathlib import Path

import yaml

from shared.cli import SERVICES
from shared.config import DEFAULT_PORTS
from shared.nats_server import nats_server_binary

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_every_service_runs_a_gunicorn_web_and_a_worker_on_its_own_database():
    doc = compose()
    for name in SERVICES:
        web, worker = doc["services"][f"{name}-web"], doc["services"][f"{name}-worker"]
        assert web["command"][-1] == f"services.{name}:create_app()"
        assert web["command"][0] == "gunicorn"
        assert web["environment"]["WARDEN_BIND"] == f"0.0.0.0:{DEFAULT_PORTS[name]}"
        assert worker["command"] == ["python", "-m", f"services.{name}.worker"]
        url = worker["environment"][f"WARDEN_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql://") and url.endswith(f"/warden_{name}")
        assert f"CREATE DATABASE warden_{name};" in (ROOT / "infra/postgres/init.sql").read_text()


def test_production_runs_three_nats_nodes_with_replicated_streams():
    doc = compose()
    env = doc["services"]["accounts-worker"]["environment"]
    assert env["WARDEN_MODE"] == "production"
    assert env["WARDEN_STREAM_REPLICAS"] == "3"
    nodes = [n for n in doc["services"] if n.startswith("nats-")]
    assert sorted(nodes) == ["nats-1", "nats-2", "nats-3"]
    assert env["WARDEN_NATS_URL"].split(",") == [f"nats://{n}:4222" for n in sorted(nodes)]


def test_nats_server_accepts_the_cluster_config():
    result = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(ROOT / "infra/nats/cluster.conf")],
        env={**os.environ, "NATS_NAME": "nats-1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_police_portal_runs_alone_and_pages_sign_in_through_the_banks_idp():
    doc = compose()
    portal = doc["services"]["cases-portal"]
    assert portal["command"][-1] == "services.cases.portal:create_app()"
    assert portal["environment"]["WARDEN_BIND"] == "0.0.0.0:8005"
    assert portal["ports"] == ["8005:8005"]
    for name in ("cases-portal", "cases-web"):
        env = doc["services"][name]["environment"]
        assert env["WARDEN_MODE"] == "production"
        assert env["WARDEN_OIDC_ISSUER"].startswith("${WARDEN_OIDC_ISSUER:?")
        assert env["WARDEN_CASES_DATABASE_URL"].endswith("/warden_cases")
    assert doc["services"]["cases-web"]["environment"]["WARDEN_NOTIFY_URL"] == (
        "http://notify-web:8004"
    )
