"""A broken rules or policy file stops a service at start, naming the file, key and problem.

It used to pass start-up and /readyz, and then the first command that read it was a 500.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import accounts, cases, notify, withdrawals
from shared.rules_file import RulesFileError

SECRET = "rules-file-test-secret-of-at-least-32-bytes"
SERVICES = {"accounts": accounts, "withdrawals": withdrawals, "cases": cases, "notify": notify}
SHIPPED = {
    "accounts": Path(accounts.__file__).with_name("policy.toml"),
    "withdrawals": Path(withdrawals.__file__).with_name("rules.toml"),
    "cases": Path(cases.__file__).with_name("rules.toml"),
    "notify": Path(notify.__file__).with_name("rules.toml"),
}
# A key each file must have, as the error names it.
REQUIRED = {"accounts": "tiers", "withdrawals": "version", "cases": "version"}
# notify's file has a default for every key, so a missing one is no error; a wrong one is.


def start(service: str, tmp_path: Path, rules_file: Path):
    return SERVICES[service].create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "jwt_secret": SECRET,
            "rules_file": str(rules_file),
        }
    )


def without(text: str, key: str) -> str:
    """The TOML with top-level `key` (a value or a table) taken out."""
    kept, skipping = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            name = stripped.strip("[]").split(".")[0].strip()
            skipping = name == key
        elif not skipping and stripped.split("=")[0].strip() == key:
            continue
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


@pytest.mark.parametrize("service", SERVICES)
def test_the_shipped_file_starts_the_service(service, tmp_path):
    assert start(service, tmp_path, SHIPPED[service]) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_a_file_that_is_not_toml_stops_the_start_naming_the_file(service, tmp_path):
    broken = tmp_path / "rules.toml"
    broken.write_text("version = \n")
    with pytest.raises(RulesFileError, match=rf"^{broken}: not valid TOML"):
        start(service, tmp_path, broken)


@pytest.mark.parametrize("service", REQUIRED)
def test_a_missing_key_stops_the_start_naming_the_file_and_key(service, tmp_path):
    broken = tmp_path / "rules.toml"
    broken.write_text(without(SHIPPED[service].read_text(), REQUIRED[service]))
    with pytest.raises(RulesFileError) as raised:
        start(service, tmp_path, broken)
    assert str(raised.value).startswith(f"{broken}: ")
    assert REQUIRED[service] in str(raised.value)


@pytest.mark.parametrize(
    ("service", "line", "key"),
    [
        ("withdrawals", "elderly_age = -3", "segments.elderly_age"),
        ("cases", "warning_at_percent = 140", "warning_at_percent"),
        ("notify", 'hold_sla_minutes = "soon"', "hold_sla_minutes must be a whole number"),
    ],
)
def test_a_value_out_of_range_stops_the_start_naming_the_key(service, line, key, tmp_path):
    text = SHIPPED[service].read_text()
    name = line.split("=")[0].strip()
    changed = "\n".join(
        line if raw.strip().split("=")[0].strip() == name else raw for raw in text.splitlines()
    )
    assert changed != text
    broken = tmp_path / "rules.toml"
    broken.write_text(changed + "\n")
    with pytest.raises(RulesFileError, match=key.replace(".", r"\.")):
        start(service, tmp_path, broken)


def test_the_worker_refuses_a_missing_file_with_one_line_and_no_traceback(tmp_path):
    missing = tmp_path / "nowhere.toml"
    env = {
        **os.environ,
        "WARDEN_WITHDRAWALS_RULES_FILE": str(missing),
        "WARDEN_WITHDRAWALS_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.withdrawals.worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"warden: {missing}: cannot be read (No such file or directory)"
