"""Every setting comes from the environment with a sensible default; production is strict."""

import pytest

from shared.config import DEV_JWT_SECRET, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("WARDEN_"):
            monkeypatch.delenv(name)


def test_defaults_run_the_embedded_system():
    settings = load_settings("withdrawals")
    assert settings.database_url == "sqlite:///var/withdrawals.db"
    assert settings.port == 8002
    assert settings.nats_url == "nats://127.0.0.1:14222"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.uses_dev_secret


def test_environment_sets_per_service_and_shared_values_with_their_types(monkeypatch):
    monkeypatch.setenv("WARDEN_CASES_DATABASE_URL", "postgresql://db/cases")
    monkeypatch.setenv("WARDEN_CASES_PORT", "9003")
    monkeypatch.setenv("WARDEN_ACCOUNTS_PORT", "9001")  # another service's: ignored
    monkeypatch.setenv("WARDEN_CONSUMER_MAX_ATTEMPTS", "8")
    monkeypatch.setenv("WARDEN_RELAY_POLL_SECONDS", "0.2")
    monkeypatch.setenv("WARDEN_VAR_DIR", "/srv/warden")
    cases = load_settings("cases")
    assert (cases.database_url, cases.port) == ("postgresql://db/cases", 9003)
    assert cases.consumer_max_attempts == 8 and cases.relay_poll_seconds == 0.2
    assert load_settings("notify").database_url == "sqlite:////srv/warden/notify.db"


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("WARDEN_TIMEZONE", "UTC")
    assert load_settings("notify", {"timezone": "Asia/Hong_Kong"}).timezone == "Asia/Hong_Kong"


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("WARDEN_MODE", "production")
    with pytest.raises(RuntimeError, match="development JWT secret"):
        load_settings("accounts")
    monkeypatch.setenv("WARDEN_JWT_SECRET", "x" * 40)
    assert load_settings("accounts").jwt_secret != DEV_JWT_SECRET


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("WARDEN_MODE", "prod", "WARDEN_MODE must be one of embedded, production, not 'prod'"),
        ("WARDEN_RELAY_BATCH_SIZE", "many", "WARDEN_RELAY_BATCH_SIZE must be a whole number"),
        ("WARDEN_RELAY_POLL_SECONDS", "soon", "WARDEN_RELAY_POLL_SECONDS must be a number"),
        ("WARDEN_MAX_BODY_BYTES", "0", "WARDEN_MAX_BODY_BYTES must be more than 0"),
        ("WARDEN_CONSUMER_MAX_ATTEMPTS", "-1", "WARDEN_CONSUMER_MAX_ATTEMPTS must be more than 0"),
        ("WARDEN_ACCOUNTS_PORT", "70000", "WARDEN_ACCOUNTS_PORT must be a port"),
        ("WARDEN_TIMEZONE", "Mars/Base", "WARDEN_TIMEZONE must be an IANA time zone"),
        ("WARDEN_INBOX_RETENTION_DAYS", "0", "WARDEN_INBOX_RETENTION_DAYS must be more than 0"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable(monkeypatch, variable, raw, message):
    from shared.config import SettingsError

    monkeypatch.setenv(variable, raw)
    with pytest.raises(SettingsError) as raised:
        load_settings("accounts")
    assert str(raised.value).startswith(message)


def test_secrets_never_appear_in_the_repr(monkeypatch):
    monkeypatch.setenv("WARDEN_JWT_SECRET", "a-secret-of-at-least-thirty-two-bytes-long")
    monkeypatch.setenv("WARDEN_OIDC_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_PASSWORD", "smtp-password-value")
    monkeypatch.setenv("WARDEN_NOTIFY_GATEWAY_TOKEN", "gateway-token-value")
    text = repr(load_settings("notify"))
    for secret in ("a-secret-of", "client-secret-value", "smtp-password-value", "gateway-token"):
        assert secret not in text


def test_the_worker_and_the_cli_say_which_setting_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "WARDEN_MODE": "prod", "WARDEN_VAR_DIR": str(tmp_path)}
    for command in (
        [sys.executable, "-m", "services.cases.worker"],
        [sys.executable, "-m", "shared.cli", "token", "--role", "teller", "--sub", "t"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        expected = "warden: WARDEN_MODE must be one of embedded, production, not 'prod'"
        assert done.stderr.strip() == expected
