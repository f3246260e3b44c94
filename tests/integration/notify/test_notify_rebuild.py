"""Notify's read models, dropped and replayed from its own log, are exactly what they were."""

from datetime import timedelta

from notify_support import (
    DAYTIME,
    Gateway,
    Notify,
    account_opened,
    bearer,
    held,
    notify_settings,
    write_rules,
)


def test_a_rebuild_reproduces_every_projection_and_every_read(database_url, tmp_path):
    sms = Gateway(script=[503], default=500)
    rules = write_rules(
        tmp_path,
        **{"channels.enabled": ["sms", "log"], "channels.sms.url": sms.url},
    )
    notify = Notify(notify_settings(database_url, rules_file=rules))
    try:
        notify.register("c1", birth_date="1950-01-01")
        notify.register(
            "c2", occupation="student", birth_date="2006-01-01", preferred_language="en"
        )
        client = notify.app.test_client()
        client.post(
            "/v1/customers/c2/preferences",
            json={"education_opt_out": True, "channels": ["sms"]},
            headers=bearer("teller"),
        )
        victim = held("c1", purpose="investment")
        notify.deliver("WithdrawalHeld", victim)
        notify.deliver(
            "WithdrawalBlocked",
            {
                "withdrawal_id": victim["withdrawal_id"],
                "account_id": "acc-1",
                "customer_id": "c1",
                "case_id": "k1",
                "outcome": "fraud_victim",
            },
        )
        notify.deliver("AccountOpened", account_opened("c2", "acc-2"))
        campaign = client.post(
            "/v1/campaigns",
            json={"template": "fraud_tips", "segment": "elderly"},
            headers=bearer("supervisor"),
        ).get_json()
        notify.fan_out()
        moment = DAYTIME
        for _ in range(4):
            notify.dispatch(moment)
            moment += timedelta(minutes=5)
        statuses = {row["status"] for row in notify.notifications()}
        assert {"delivered", "suppressed"} <= statuses

        paths = [
            "/v1/notifications?limit=500",
            f"/v1/campaigns/{campaign['id']}",
            *[f"/v1/notifications/{row['id']}" for row in notify.notifications()],
        ]
        reads = {path: client.get(path, headers=bearer("auditor")).get_json() for path in paths}
        before = notify.spec.projections.snapshot(notify.engine)

        replayed = notify.spec.projections.rebuild(notify.engine)

        assert replayed > 20
        assert notify.spec.projections.snapshot(notify.engine) == before
        assert {
            path: client.get(path, headers=bearer("auditor")).get_json() for path in paths
        } == reads
        assert all(len(rows) > 0 for rows in before.values()), sorted(
            name for name, rows in before.items() if not rows
        )
    finally:
        notify.close()
        sms.close()
