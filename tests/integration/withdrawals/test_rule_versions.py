"""Rules versions as governed data (issue 15 part 1): proposed, approved by someone else, in force.

The story: a supervisor lowers the elderly large-cash threshold from 50,000.00 to 20,000.00; a
second supervisor approves it; from that moment a 30,000.00 counter withdrawal by the story's
68-year-old customer is held, and its decision records the new version.
"""

import copy
from datetime import timedelta

import pytest
from web_support import bearer, event_count
from withdrawals_support import TELLER, withdraw

from services.withdrawals.domain import InvalidInput
from services.withdrawals.rule_versions import RULES_VERSION, decide_propose
from services.withdrawals.rules import seed_config
from services.withdrawals.timers import rules_activation
from shared.envelope import iso

PROPOSER = bearer("supervisor", "sup-li")
APPROVER = bearer("supervisor", "sup-wang")
SEED = "2026-11-01"
LOWER = "2026-12-elderly-20k"


def lowered_elderly_threshold() -> dict:
    config = copy.deepcopy(seed_config())
    config.pop("version")
    config["holds"]["elderly_large_cash"]["threshold"] = "20000.00"
    return config


def propose(client, version=LOWER, rules=None, headers=PROPOSER, reason="fraud on elders rose"):
    body = {"version": version, "rules": rules or lowered_elderly_threshold(), "reason": reason}
    return client.post("/v1/rule-versions", json=body, headers=headers)


def approve(client, version=LOWER, headers=APPROVER, **extra):
    body = {"reason": "reviewed against last quarter's holds", **extra}
    return client.post(f"/v1/rule-versions/{version}/approval", json=body, headers=headers)


def cash(client, amount="30000.00"):
    return withdraw(client, amount=amount, purpose="living_expenses").get_json()


def test_a_proposed_version_screens_nothing_until_another_supervisor_approves_it(client, story):
    proposed = propose(client)
    assert proposed.status_code == 201, proposed.get_json()
    assert proposed.headers["Location"] == f"/v1/rule-versions/{LOWER}"
    body = proposed.get_json()
    assert (body["status"], body["in_force"], body["proposed_by"]) == ("proposed", False, "sup-li")
    before = cash(client)
    assert (before["status"], before["decision"]["rules_version"]) == ("approved", SEED)

    own = approve(client, headers=PROPOSER)
    assert own.status_code == 403 and "other than its proposer" in own.get_json()["detail"]
    approved = approve(client)
    assert approved.status_code == 200, approved.get_json()
    shown = approved.get_json()
    assert (shown["status"], shown["in_force"], shown["reviewed_by"]) == (
        "approved",
        True,
        "sup-wang",
    )

    after = cash(client)
    assert after["status"] == "held" and "ELDERLY_LARGE_CASH" in after["reasons"]
    assert after["decision"]["rules_version"] == LOWER
    listed = client.get("/v1/rule-versions", headers=bearer("auditor", "aud-1")).get_json()
    assert listed["in_force"] == LOWER
    assert [(i["version"], i["status"], i["in_force"]) for i in listed["items"]] == [
        (SEED, "seed", False),
        (LOWER, "approved", True),
    ]


def test_a_version_approved_for_later_takes_effect_when_its_time_comes(client, story, clock):
    assert propose(client).status_code == 201
    later = clock.now + timedelta(hours=2)
    approved = approve(client, activates_at=iso(later))
    assert approved.status_code == 200
    assert (approved.get_json()["activates_at"], approved.get_json()["in_force"]) == (
        iso(later),
        False,
    )
    assert cash(client)["decision"]["rules_version"] == SEED
    clock.now = later
    assert cash(client)["decision"]["rules_version"] == LOWER


def test_a_version_is_never_backdated(client, story, clock):
    assert propose(client).status_code == 201
    response = approve(client, activates_at=iso(clock.now - timedelta(minutes=1)))
    assert response.status_code == 422
    assert "activates_at" in response.get_json()["errors"]


def test_the_events_say_who_proposed_and_approved_and_why(client, story):
    propose(client)
    approve(client)
    events = client.get(f"/v1/rule-versions/{LOWER}/events", headers=APPROVER).get_json()["items"]
    assert [e["type"] for e in events] == ["RulesVersionProposed", "RulesVersionApproved"]
    proposed, approved = events
    assert (
        proposed["actor"]["sub"] == "sup-li"
        and proposed["data"]["reason"] == "fraud on elders rose"
    )
    assert proposed["data"]["config"]["holds"]["elderly_large_cash"]["threshold"] == "20000.00"
    assert approved["actor"]["sub"] == "sup-wang"
    assert approved["data"]["reason"] == "reviewed against last quarter's holds"


def test_a_broken_configuration_is_a_422_naming_what_is_wrong_and_records_nothing(wd_app, client):
    engine = wd_app.extensions["warden"].engine
    before = event_count(engine)
    missing = lowered_elderly_threshold()
    del missing["holds"]["velocity"]["count"]
    wrong_amount = lowered_elderly_threshold()
    wrong_amount["holds"]["velocity"]["total"] = "50000"
    negative = lowered_elderly_threshold()
    negative["segments"]["elderly_age"] = -1
    for rules, field in (
        (missing, "rules.holds.velocity.count"),
        (wrong_amount, "rules.holds.velocity.total"),
        (negative, "rules.segments.elderly_age"),
        ({**lowered_elderly_threshold(), "version": "other"}, "rules.version"),
    ):
        response = propose(client, rules=rules)
        assert response.status_code == 422, (field, response.get_json())
        assert list(response.get_json()["errors"]) == [field]
    assert propose(client, version="no spaces").get_json()["errors"].keys() == {"version"}
    assert event_count(engine) == before


def test_the_domain_checks_a_configuration_as_screening_will_read_it():
    """The API's schema and parse_rules agree; a caller past the API still gets the check."""
    rules = lowered_elderly_threshold()
    del rules["holds"]["velocity"]["count"]
    with pytest.raises(InvalidInput) as refused:
        decide_propose(RULES_VERSION.initial, LOWER, rules, "why", "sup-li", SEED)
    assert (refused.value.field, refused.value.message) == (
        "rules",
        "The rules need holds.velocity.count.",
    )


@pytest.mark.parametrize("label", [SEED, LOWER])
def test_a_label_names_one_configuration_for_ever(client, label):
    if label == LOWER:
        assert propose(client).status_code == 201
    again = propose(client, version=label)
    assert again.status_code == 409 and "exists already" in again.get_json()["detail"]


def test_a_rejected_version_cannot_be_approved_and_never_screens(client, story):
    propose(client)
    body = {"reason": "the threshold would hold most pensions"}
    rejected = client.post(f"/v1/rule-versions/{LOWER}/rejection", json=body, headers=APPROVER)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert approve(client).status_code == 409
    assert cash(client)["decision"]["rules_version"] == SEED


def test_the_diff_names_every_setting_that_changes(client):
    propose(client)
    diff = client.get(f"/v1/rule-versions/{LOWER}/diff", headers=APPROVER).get_json()
    assert diff["against"] == SEED  # the version in force
    assert diff["changes"] == [
        {"path": "holds.elderly_large_cash.threshold", "from": "50000.00", "to": "20000.00"},
        {"path": "version", "from": SEED, "to": LOWER},
    ]
    back = client.get(f"/v1/rule-versions/{SEED}/diff?against={LOWER}", headers=APPROVER)
    assert back.get_json()["changes"][0] == {
        "path": "holds.elderly_large_cash.threshold",
        "from": "20000.00",
        "to": "50000.00",
    }
    missing = client.get(f"/v1/rule-versions/{LOWER}/diff?against=nope", headers=APPROVER)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [("teller", 403), ("investigator", 403), ("auditor", 403), ("police_liaison", 403)],
)
def test_only_supervisors_propose(client, role, status):
    headers = TELLER if role == "teller" else bearer(role, f"{role}-1", police_unit="PSB-HF-001")
    assert propose(client, headers=headers).status_code == status


def test_the_seed_is_shown_as_the_rules_file_it_is(client):
    shown = client.get(
        f"/v1/rule-versions/{SEED}", headers=bearer("investigator", "i-1")
    ).get_json()
    assert (shown["status"], shown["in_force"]) == ("seed", True)
    assert shown["config"]["holds"]["elderly_large_cash"]["threshold"] == "50000.00"
    assert client.get("/v1/rule-versions/nope", headers=APPROVER).status_code == 404


def test_a_timer_records_once_that_a_version_took_effect_and_what_it_replaced(
    wd_app, client, story, clock
):
    state = wd_app.extensions["warden"]
    timer = rules_activation(state.spec.projections)
    assert propose(client).status_code == 201
    later = clock.now + timedelta(hours=1)
    assert approve(client, activates_at=iso(later)).status_code == 200
    assert timer.run(state.engine, state.settings, clock.now) == 0  # not yet
    clock.now = later
    assert timer.run(state.engine, state.settings, clock.now) == 1
    assert timer.run(state.engine, state.settings, clock.now) == 0  # once
    events = client.get(f"/v1/rule-versions/{LOWER}/events", headers=APPROVER).get_json()["items"]
    assert events[-1]["type"] == "RulesVersionActivated"
    assert events[-1]["actor"]["role"] == "system"
    assert events[-1]["data"] == {"version": LOWER, "activated_at": iso(later), "replaced": SEED}
    shown = client.get(f"/v1/rule-versions/{LOWER}", headers=APPROVER).get_json()
    assert (shown["activated_at"], shown["replaced"], shown["in_force"]) == (iso(later), SEED, True)

    # The next version replaces this one, and says so.
    body = {**lowered_elderly_threshold()}
    body["holds"]["elderly_large_cash"]["threshold"] = "30000.00"
    assert propose(client, version="2026-12-elderly-30k", rules=body).status_code == 201
    assert approve(client, version="2026-12-elderly-30k").status_code == 200
    assert timer.run(state.engine, state.settings, clock.now) == 1
    shown = client.get("/v1/rule-versions/2026-12-elderly-30k", headers=APPROVER).get_json()
    assert (shown["replaced"], shown["in_force"]) == (LOWER, True)
