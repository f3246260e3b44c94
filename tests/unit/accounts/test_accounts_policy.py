"""The policy file: the tier table of DOMAIN §5 as data, and refusal of an inconsistent copy."""

import tomllib

import pytest

from services.accounts.policy import PACKAGED_POLICY, load_policy, parse_policy


def test_the_shipped_policy_is_the_domain_table():
    policy = load_policy()
    assert policy.version == "2026-11-01"
    table = {
        name: (t.per_transaction, t.daily, t.verification_method)
        for name, t in policy.tiers.items()
    }
    assert table == {
        "LOW": (5_000_000, 20_000_000, "sms_otp"),
        "MEDIUM": (2_000_000, 5_000_000, "sms_otp_and_face"),
        "HIGH": (500_000, 1_000_000, "face_and_callback"),
        "RESTRICTED": (0, 0, "counter_only"),
    }
    assert policy.tier_order == ("LOW", "MEDIUM", "HIGH", "RESTRICTED")
    assert policy.higher("HIGH", "MEDIUM") == "HIGH"
    assert policy.one_step_down("LOW") == "LOW"


def test_a_rules_file_replaces_the_shipped_policy(tmp_path):
    text = PACKAGED_POLICY.read_text().replace('hold_tier = "MEDIUM"', 'hold_tier = "HIGH"')
    path = tmp_path / "accounts.toml"
    path.write_text(text.replace('version = "2026-11-01"', 'version = "2027-01-01"'))
    policy = load_policy(str(path))
    assert (policy.version, policy.hold_tier) == ("2027-01-01", "HIGH")


def test_a_policy_naming_an_undefined_tier_is_refused():
    raw = tomllib.loads(PACKAGED_POLICY.read_text())
    raw["holds"]["hold_tier"] = "PLATINUM"
    with pytest.raises(ValueError, match="PLATINUM"):
        parse_policy(raw)
    del raw["decay"]
    with pytest.raises(ValueError):
        parse_policy(raw)
