"""What notify does when accounts or withdrawals events arrive: record, never send."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from services.notify.application import (
    NotifyRuntime,
    record_contact_details,
    request_notification,
)
from services.notify.notification import notification_id
from shared.consumer import Handler
from shared.envelope import Context, Envelope

Clock = Callable[[], datetime]
RuntimeSource = Callable[[], NotifyRuntime]

REGISTERED_FIELDS = ("name", "phone", "email", "preferred_language", "birth_date", "occupation")
CHANGED_FIELDS = ("phone", "email", "preferred_language")


def make_subscriptions(runtime: RuntimeSource, clock: Clock) -> dict[str, dict[str, Handler]]:
    """Handlers by source service and event type, as ServiceSpec.subscriptions wants them."""

    def contact(fields):
        def handle(conn, envelope: Envelope):
            changes = {name: envelope.data.get(name) for name in fields}
            source = {"type": envelope.type, "event_id": envelope.event_id}
            context = Context.reacting_to(envelope, occurred_at=clock())
            customer_id = envelope.data["customer_id"]
            record_contact_details(conn, runtime(), customer_id, changes, source, context)

        return Handler(handle)

    def notify(template: str, facts_of: Callable, when: Callable = lambda data: True):
        def handle(conn, envelope: Envelope):
            if not when(envelope.data):
                return
            now = clock()
            rt = runtime()
            request = {
                "customer_id": envelope.data["customer_id"],
                "template": template,
                "source_event_id": envelope.event_id,
                "source_event_type": envelope.type,
                "facts": facts_of(conn, rt, envelope.data),
            }
            context = Context.reacting_to(envelope, occurred_at=now)
            request_notification(
                conn, rt, notification_id(envelope.event_id), request, now, context
            )

        return Handler(handle)

    return {
        "accounts": {
            "CustomerRegistered": contact(REGISTERED_FIELDS),
            "CustomerContactChanged": contact(CHANGED_FIELDS),
            "AccountOpened": notify("welcome", account_facts),
            "AccountActivated": notify("welcome", account_facts),
            # Generic text only, whatever the type, reason or source: never tip off a suspect.
            "AccountRestricted": notify("account_restricted", account_facts),
            "RiskTierChanged": notify("limits_changed", limit_facts),
        },
        "withdrawals": {
            "WithdrawalHeld": notify("withdrawal_held", held_facts),
            "WithdrawalReleased": notify("withdrawal_released", remembered_facts),
            "WithdrawalBlocked": notify(
                "fraud_warning",
                remembered_facts,
                when=lambda data: data.get("outcome") == "fraud_victim",
            ),
        },
    }


def account_facts(conn, runtime, data: dict) -> dict:
    return {"account_id": data["account_id"]}


def limit_facts(conn, runtime, data: dict) -> dict:
    return {
        "account_id": data["account_id"],
        "limits": data["limits"],
        "verification_method": data["verification_method"],
    }


def held_facts(conn, runtime, data: dict) -> dict:
    return {
        "withdrawal_id": data["withdrawal_id"],
        "amount": data["amount"],
        "channel": data["channel"],
        "purpose": data["purpose"],
        "reasons": list(data["reasons"]),
    }


def remembered_facts(conn, runtime: NotifyRuntime, data: dict) -> dict:
    """What we learnt when the withdrawal was held: its amount, channel and purpose."""
    facts = runtime.table("notify_withdrawal_facts")
    row = conn.execute(select(facts).where(facts.c.withdrawal_id == data["withdrawal_id"])).first()
    known = {"withdrawal_id": data["withdrawal_id"]}
    if row is not None:
        known.update(amount=row.amount, channel=row.channel, purpose=row.purpose)
    return known
