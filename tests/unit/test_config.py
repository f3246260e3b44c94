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
