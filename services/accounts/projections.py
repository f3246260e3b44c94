"""Read models of the accounts log, updated in the writer's transaction and rebuilt from it alone.

Times are stored as RFC 3339 UTC strings (shared.envelope.iso): they sort and compare as text
the same way on SQLite and PostgreSQL.
"""

from sqlalchemy import JSON, BigInteger, Column, Index, MetaData, String, Table, delete, update

from services.accounts.watchlist import id_number_key
from shared.money import to_fen
from shared.projections import Projections

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("id_type", String(20), nullable=False),
    Column("id_number", String(40), nullable=False),
    Column("id_number_key", String(40), nullable=False),
    Column("birth_date", String(10), nullable=False),
    Column("phone", String(40), nullable=False),
    Column("email", String(200)),
    Column("occupation", String(100), nullable=False),
    Column("employer", String(200), nullable=False),
    Column("preferred_language", String(10), nullable=False),
    Column("registered_at", String(32), nullable=False),
    # One customer per id number (services.accounts.application.register_customer).
    Index("uq_customers_id_number_key", "id_number_key", unique=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), nullable=False),
    Column("account_class", String(4)),
    Column("purpose", String(20)),
    Column("purpose_detail", String(500)),
    Column("channel", String(20)),
    Column("documents", JSON),
    Column("status", String(20), nullable=False),
    Column("flags", JSON, nullable=False),
    Column("risk_tier", String(20)),
    Column("per_transaction", BigInteger),
    Column("daily", BigInteger),
    Column("verification_method", String(40)),
    Column("opened_at", String(32)),
    Column("branch_id", String(40)),
    Column("opened_by", String(100)),
    # How the opening went (AccountOpened, …Referred, …Refused) and when: due diligence counts
    # a customer's recent openings from these two columns.
    Column("opening", String(40), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("case_id", String(40)),
    Column("refusal_reason", String(500)),
    Column("last_hold_at", String(32)),
    Column("tier_changed_at", String(32)),
    Index("ix_accounts_customer_opening", "customer_id", "requested_at"),
    Index("ix_accounts_status_tier", "status", "risk_tier"),
)

# Active restrictions only: a lifted one is deleted (its history stays in the log).
restrictions = Table(
    "restrictions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), nullable=False, index=True),
    Column("type", String(30), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("source", JSON, nullable=False),
    Column("expires_at", String(32), index=True),
    Column("requested_by", String(100), nullable=False),
    Column("restricted_at", String(32), nullable=False),
)

watchlist = Table(
    "watchlist",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("id_type", String(20), nullable=False),
    Column("id_number", String(40), nullable=False),
    Column("id_number_key", String(40), nullable=False, index=True),
    Column("reference", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(100), nullable=False),
    Column("removed_at", String(32)),
    Column("removal_reason", String(500)),
)


def _at(event) -> str:
    return event.metadata["occurred_at"]


def _terms(data: dict) -> dict:
    return {
        "risk_tier": data["risk_tier"] if "risk_tier" in data else data["to_tier"],
        "per_transaction": to_fen(data["limits"]["per_transaction"]),
        "daily": to_fen(data["limits"]["daily"]),
        "verification_method": data["verification_method"],
    }


def _account(conn, account_id: str, **values) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))


def _customer_events(projections: Projections) -> None:
    @projections.on("CustomerRegistered")
    def registered(conn, event):
        data = event.data
        fields = {k: data[k] for k in ("name", "id_type", "id_number", "birth_date", "phone")}
        fields.update({k: data[k] for k in ("email", "occupation", "employer")})
        conn.execute(
            customers.insert().values(
                id=event.stream_id,
                id_number_key=id_number_key(data["id_number"]),
                preferred_language=data["preferred_language"],
                registered_at=_at(event),
                **fields,
            )
        )

    @projections.on("CustomerContactChanged")
    def contact_changed(conn, event):
        data = event.data
        conn.execute(
            update(customers)
            .where(customers.c.id == event.stream_id)
            .values(
                phone=data["phone"],
                email=data["email"],
                preferred_language=data["preferred_language"],
            )
        )


def _opening_events(projections: Projections) -> None:
    @projections.on("AccountOpened", "AccountOpeningReferred")
    def opened(conn, event):
        data = event.data
        details = ("account_class", "purpose", "purpose_detail", "channel", "documents")
        conn.execute(
            accounts.insert().values(
                id=event.stream_id,
                customer_id=data["customer_id"],
                status=data["status"],
                flags=data["flags"],
                opened_at=data["opened_at"],
                branch_id=data["branch_id"],
                opened_by=data.get("opened_by"),
                opening=event.type,
                requested_at=_at(event),
                tier_changed_at=data["opened_at"],
                **{k: data[k] for k in details},
                **_terms(data),
            )
        )

    @projections.on("AccountOpeningRefused")
    def refused(conn, event):
        data = event.data
        if event.version > 1:  # refused after review
            _account(
                conn,
                event.stream_id,
                status="refused",
                case_id=data["case_id"],
                refusal_reason=data["reason"],
            )
            return
        conn.execute(
            accounts.insert().values(
                id=event.stream_id,
                customer_id=data["customer_id"],
                status="refused",
                flags=data["flags"],
                # The payload has no branch; the opening's context records it (metadata).
                branch_id=event.metadata.get("branch_id"),
                opening=event.type,
                requested_at=_at(event),
                case_id=data["case_id"],
                refusal_reason=data["reason"],
            )
        )

    @projections.on("AccountActivated")
    def activated(conn, event):
        data = event.data
        _account(
            conn,
            event.stream_id,
            status="active",
            case_id=data["case_id"],
            tier_changed_at=data["activated_at"],
            **_terms(data),
        )

    @projections.on("AccountClosed")
    def closed(conn, event):
        _account(conn, event.stream_id, status="closed")


def _risk_events(projections: Projections) -> None:
    @projections.on("RiskTierChanged")
    def tier_changed(conn, event):
        _account(conn, event.stream_id, tier_changed_at=_at(event), **_terms(event.data))

    @projections.on("AccountHoldRecorded")
    def hold_recorded(conn, event):
        held_at = event.data["held_at"]
        conn.execute(
            update(accounts)
            .where(accounts.c.id == event.stream_id)
            .where((accounts.c.last_hold_at.is_(None)) | (accounts.c.last_hold_at < held_at))
            .values(last_hold_at=held_at)
        )

    @projections.on("AccountRestricted")
    def restricted(conn, event):
        data = event.data
        conn.execute(
            restrictions.insert().values(
                id=data["restriction_id"],
                account_id=event.stream_id,
                type=data["type"],
                reason=data["reason"],
                source=data["source"],
                expires_at=data["expires_at"],
                requested_by=data["requested_by"],
                restricted_at=_at(event),
            )
        )

    @projections.on("AccountRestrictionLifted")
    def lifted(conn, event):
        conn.execute(delete(restrictions).where(restrictions.c.id == event.data["restriction_id"]))


def _watchlist_events(projections: Projections) -> None:
    @projections.on("WatchlistEntryAdded")
    def added(conn, event):
        data = event.data
        conn.execute(
            watchlist.insert().values(
                id=event.stream_id,
                id_type=data["id_type"],
                id_number=data["id_number"],
                id_number_key=id_number_key(data["id_number"]),
                reference=data["reference"],
                reason=data["reason"],
                status="active",
                added_at=_at(event),
                added_by=event.metadata["actor"]["sub"],
            )
        )

    @projections.on("WatchlistEntryRemoved")
    def removed(conn, event):
        conn.execute(
            update(watchlist)
            .where(watchlist.c.id == event.stream_id)
            .values(status="removed", removed_at=_at(event), removal_reason=event.data["reason"])
        )


def make_projections() -> Projections:
    projections = Projections(metadata=metadata)
    _customer_events(projections)
    _opening_events(projections)
    _risk_events(projections)
    _watchlist_events(projections)
    return projections
