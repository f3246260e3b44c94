"""A supervisor's campaign reaches a whole segment, opt-outs respected, counted to completion."""

from datetime import UTC, datetime

from notify_support import Clock, Notify, bearer, make_envelope, notify_settings
from sqlalchemy import func, select

from services.notify.application import change_preferences
from shared.db import read_transaction, write_transaction
from shared.envelope import SYSTEM_ACTOR, Context, as_utc
from shared.schema import events


def seed(notify: Notify, count: int, prefix: str, birth_date: str, occupation="retired"):
    """Customers recorded through the contact-book handler, as the consumer would."""
    handler = notify.handlers["CustomerRegistered"]
    with write_transaction(notify.engine) as conn:
        for i in range(count):
            data = {
                "customer_id": f"{prefix}{i:04d}",
                "name": "李华",
                "id_type": "resident_id",
                "id_number": "340104195801011234",
                "birth_date": birth_date,
                "phone": f"1380000{i:04d}",
                "email": None,
                "occupation": occupation,
                "employer": "",
                "preferred_language": "zh-CN" if i % 2 else "en",
                "segment": "elderly",
            }
            handler.fn(conn, make_envelope("CustomerRegistered", data))


def opt_out(notify: Notify, customer_id: str):
    context = Context(SYSTEM_ACTOR, notify.clock.now, "test")
    change_preferences(
        notify.engine,
        notify.runtime,
        customer_id,
        {"education_opt_out": True, "channels": None},
        context,
    )


def count_events(notify: Notify, event_type: str) -> int:
    with read_transaction(notify.engine) as conn:
        query = select(func.count()).select_from(events).where(events.c.type == event_type)
        return conn.execute(query).scalar_one()


def test_a_campaign_to_a_thousand_elderly_customers_is_counted_to_completion(database_url):
    notify = Notify(notify_settings(database_url))
    try:
        seed(notify, 1000, "old", "1950-06-01")
        seed(notify, 30, "young", "1995-06-01", occupation="engineer")
        seed(notify, 20, "pupil", "2005-06-01", occupation="student")
        opted_out = {f"old{i:04d}" for i in range(0, 1000, 10)}
        for customer_id in sorted(opted_out):
            opt_out(notify, customer_id)
        client = notify.app.test_client()
        reply = client.post(
            "/v1/campaigns",
            json={"template": "fraud_tips", "segment": "elderly"},
            headers=bearer("supervisor"),
        )
        assert reply.status_code == 201
        campaign_id = reply.get_json()["id"]
        assert reply.get_json()["recipients"] == 1000

        ticks = 0
        while (
            client.get(f"/v1/campaigns/{campaign_id}", headers=bearer()).get_json()["status"]
            != "completed"
        ):
            assert notify.fan_out() <= 200, "a tick handles a bounded batch"
            ticks += 1
            assert ticks <= 10
        assert ticks == 5

        campaign = client.get(f"/v1/campaigns/{campaign_id}", headers=bearer("auditor")).get_json()
        assert (campaign["requested"], campaign["suppressed"], campaign["pending"]) == (900, 100, 0)
        completed = notify.events(campaign_id)[-1]
        assert completed.type == "CampaignCompleted"
        assert completed.data == {"campaign_id": campaign_id, "requested": 900, "suppressed": 100}

        rows = [r for r in notify.notifications() if r["campaign_id"] == campaign_id]
        assert len(rows) == len({r["id"] for r in rows}) == 1000
        assert {r["customer_id"] for r in rows if r["status"] == "suppressed"} == opted_out
        assert {r["segment"] for r in rows if r["status"] == "requested"} == {"elderly"}
        assert {r["language"] for r in rows if r["status"] == "requested"} == {"zh-CN", "en"}
        assert f"ntf_{campaign_id}_old0001" in {r["id"] for r in rows}

        assert notify.fan_out() == 0  # nothing pending: ticks after completion change nothing
        assert count_events(notify, "CampaignCompleted") == 1
        assert count_events(notify, "NotificationRequested") == 900
        assert notify.dispatch() == 20, "deliveries go out in bounded batches too"
    finally:
        notify.close()


def test_a_campaign_started_late_at_night_is_deferred_to_the_morning_not_dropped(sqlite_url):
    eleven_pm = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    notify = Notify(notify_settings(sqlite_url), clock=Clock(eleven_pm))
    try:
        seed(notify, 3, "old", "1950-06-01")
        client = notify.app.test_client()
        reply = client.post(
            "/v1/campaigns",
            json={"template": "fraud_tips", "segment": "elderly"},
            headers=bearer("supervisor"),
        )
        notify.fan_out()
        rows = notify.notifications()
        assert len(rows) == 3
        assert {as_utc(r["next_attempt_at"]) for r in rows} == {
            datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
        }
        assert notify.dispatch(eleven_pm) == 0
        assert notify.dispatch(datetime(2026, 3, 3, 0, 0, tzinfo=UTC)) == 3
        campaign = client.get(
            f"/v1/campaigns/{reply.get_json()['id']}", headers=bearer()
        ).get_json()
        assert campaign["status"] == "completed" and campaign["requested"] == 3
    finally:
        notify.close()
