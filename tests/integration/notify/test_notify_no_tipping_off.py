"""A fraud suspect's freeze produces only the generic account_restricted text."""

from notify_support import Notify, notify_settings

FORBIDDEN = {
    "zh-CN": ["诈", "骗", "嫌疑", "可疑", "公安", "警", "涉案", "冻结", "调查", "犯罪"],
    "en": [
        "fraud",
        "scam",
        "suspect",
        "suspicio",
        "police",
        "investigat",
        "frozen",
        "freez",
        "mule",
    ],
}


def restricted(customer_id, **changes):
    data = {
        "account_id": "acc-1",
        "customer_id": customer_id,
        "restriction_id": "r-1",
        "type": "freeze",
        "reason": "police outcome fraud_suspect: suspected money mule account",
        "source": {"kind": "police", "id": "PSB-HF-001/2026/77"},
        "expires_at": None,
        "requested_by": "inv-7",
    }
    data.update(changes)
    return data


def tier_to_restricted(customer_id):
    return {
        "account_id": "acc-1",
        "customer_id": customer_id,
        "from_tier": "MEDIUM",
        "to_tier": "RESTRICTED",
        "limits": {"per_transaction": "0.00", "daily": "0.00"},
        "verification_method": "counter_only",
        "reasons": ["POLICE_FRAUD_SUSPECT"],
        "source": {"kind": "case", "id": "case-9"},
    }


def test_a_suspects_freeze_reads_exactly_like_any_other_restriction(sqlite_url):
    notify = Notify(notify_settings(sqlite_url))
    try:
        for language in ("zh-CN", "en"):
            suspect, ordinary = f"suspect-{language}", f"ordinary-{language}"
            notify.register(suspect, preferred_language=language)
            notify.register(ordinary, preferred_language=language)
            frozen = notify.deliver("AccountRestricted", restricted(suspect))
            case_freeze = notify.deliver(
                "AccountRestricted",
                restricted(suspect, source={"kind": "case", "id": "case-9"}, restriction_id="r-2"),
            )
            routine = notify.deliver(
                "AccountRestricted",
                restricted(
                    ordinary,
                    type="stop_payment",
                    reason="customer reported a lost card",
                    source={"kind": "staff", "id": "t-1"},
                ),
            )
            tier = notify.deliver("RiskTierChanged", tier_to_restricted(suspect))
            bodies = {
                name: notify.notification(f"ntf_{event.event_id}")["body"]
                for name, event in [
                    ("frozen", frozen),
                    ("case", case_freeze),
                    ("routine", routine),
                    ("tier", tier),
                ]
            }
            assert bodies["frozen"] == bodies["case"] == bodies["routine"]
            for body in bodies.values():
                lowered = body.lower()
                assert not [w for w in FORBIDDEN[language] if w in lowered], body
            stored = str(notify.events(f"ntf_{frozen.event_id}")[0].data)
            assert "mule" not in stored and "PSB" not in stored and "fraud" not in stored
    finally:
        notify.close()
