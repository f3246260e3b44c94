"""Given/when/then on the pure accounts domain: histories are built from decided events."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from services.accounts.accounts import ACCOUNT
from services.accounts.opening import OpenAccount, OpeningFacts, decide_open
from services.accounts.policy import load_policy
from shared.envelope import iso

POLICY = load_policy()
DAY0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
ACCOUNT_ID = "acc_1"
CUSTOMER_ID = "cus_1"


def days(n: float) -> timedelta:
    return timedelta(days=n)


def recorded(events, at: datetime) -> list:
    """Decided events as the store hands them back: with the moment they happened."""
    return [
        SimpleNamespace(type=e.type, data=e.data, metadata={"occurred_at": iso(at)}) for e in events
    ]


class History:
    """An account's log, grown by deciding commands at given moments."""

    def __init__(self):
        self.events: list = []

    @property
    def state(self):
        return ACCOUNT.fold(self.events)

    def when(self, decide, at: datetime) -> list:
        """Decide against the current state at `at`; the decided events join the history."""
        decided = list(decide(self.state))
        self.events += recorded(decided, at)
        return decided


def open_command(**changes) -> OpenAccount:
    values = {
        "account_id": ACCOUNT_ID,
        "customer_id": CUSTOMER_ID,
        "account_class": "I",
        "purpose": "salary",
        "purpose_detail": "monthly salary",
        "channel": "counter",
        "documents": (
            {"type": "employment_proof", "employer": "Hefei Tech Co", "signed_on": "2026-10-01"},
        ),
        "branch_id": "HF-01",
        "opened_by": "t-001",
    }
    return OpenAccount(**{**values, **changes})


def facts(**changes) -> OpeningFacts:
    values = {
        "customer_name": "王小明",
        "customer_employer": "Hefei Tech Co",
        "watchlisted": False,
        "recent_openings": 0,
    }
    return OpeningFacts(**{**values, **changes})


def active_account(at: datetime = DAY0) -> History:
    history = History()
    history.when(lambda s: decide_open(s, open_command(), facts(), POLICY, at), at)
    assert history.state.status == "active"
    return history


def types(events) -> list[str]:
    return [e.type for e in events]
