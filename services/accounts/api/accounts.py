"""/v1/accounts: open with due diligence, read, tier overrides, restrictions, closure."""

from dataclasses import asdict

from flask.views import MethodView

from services.accounts import application, queries
from services.accounts.api.access import (
    READERS,
    WRITERS,
    answer_domain_errors,
    masked_history,
    policy,
    require_branch,
)
from services.accounts.opening import OpenAccount
from services.accounts.schemas import (
    ACCOUNT_EXAMPLE,
    AccountIn,
    AccountOut,
    ApprovalIn,
    ClosureIn,
    OverrideIn,
    OverrideOut,
    ReasonIn,
    RestrictionIn,
    RestrictionOut,
)
from shared.db import read_transaction
from shared.ids import new_id
from shared.web.auth import Principal, current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.problems import Problem
from shared.web.state import web_state

LIFTED_BY_SUPERVISOR = "lifted by a supervisor"


def account_view(row: dict) -> dict:
    limits = None
    if row["per_transaction"] is not None:
        limits = {"per_transaction": row["per_transaction"], "daily": row["daily"]}
    return {**row, "limits": limits}


def read_account(account_id: str) -> dict:
    """The account as the caller may see it: 404 if unknown or another branch's (tellers)."""
    with read_transaction(web_state().engine) as conn:
        row = queries.account(conn, account_id)
    if row is None:
        raise Problem(404, detail="No such account.")
    require_branch(current_actor(), row["branch_id"])
    return account_view(row)


def branch_of_opening(principal: Principal, body: dict) -> str:
    """The body names the branch; a teller may only name the one in their token (branch scope)."""
    if principal.role == "teller":
        if not principal.branch_id:
            raise Problem(403, detail="A teller's token must carry branch_id.")
        if body["branch_id"] != principal.branch_id:
            raise Problem(
                403,
                detail=f"A teller opens accounts only at their own branch, {principal.branch_id}.",
            )
    return body["branch_id"]


def make_accounts_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint("accounts", __name__, url_prefix="/v1/accounts")
    answer_domain_errors(blp)

    @blp.route("")
    class Accounts(MethodView):
        @requires(*WRITERS)
        @blp.arguments(AccountIn, example=ACCOUNT_EXAMPLE)
        @blp.response(201, AccountOut)
        @blp.alt_response(404, description="No customer with this customer_id.")
        def post(self, body):
            """Open an account: active, pending_review or refused, by due diligence."""
            principal, state = current_actor(), web_state()
            command = OpenAccount(
                account_id=new_id("acc_"),
                customer_id=body["customer_id"],
                account_class=body["account_class"],
                purpose=body["purpose"],
                purpose_detail=body["purpose_detail"],
                channel=body["channel"],
                documents=tuple(_document(d) for d in body["documents"]),
                branch_id=branch_of_opening(principal, body),
                opened_by=principal.sub,
            )
            application.open_account(
                state.engine,
                state.spec.projections,
                policy(),
                command,
                command_context(),
                on_transaction=claim_in,
            )
            location = f"/v1/accounts/{command.account_id}"
            return read_account(command.account_id), 201, {"Location": location}

    @blp.route("/<account_id>")
    @requires(*READERS)
    @blp.response(200, AccountOut)
    def get_account(account_id):
        """An account with its tier, limits and active restrictions."""
        return read_account(account_id)

    @blp.route("/<account_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def account_events(account_id):
        """An account's own events: the audit trail of every decision on it."""
        read_account(account_id)  # 404 for another branch's teller
        return masked_history(account_id, "account", current_actor())

    _tier_overrides(blp)
    _restrictions(blp)

    @blp.route("/<account_id>/closure", methods=["POST"])
    @requires(*WRITERS)
    @blp.arguments(ClosureIn)
    @blp.response(200, AccountOut)
    def close(body, account_id):
        """Close an account (409 if it is already closed)."""
        read_account(account_id)
        state = web_state()
        application.close_account(
            state.engine,
            state.spec.projections,
            account_id,
            body["reason"],
            command_context(),
            on_transaction=claim_in,
        )
        return read_account(account_id)

    return blp


def _document(document: dict) -> dict:
    signed_on = document["signed_on"]
    return {**document, "signed_on": signed_on.isoformat() if signed_on else None}


def _tier_overrides(blp: ApiBlueprint) -> None:
    @blp.route("/<account_id>/tier-overrides", methods=["POST"])
    @requires("supervisor")
    @blp.arguments(OverrideIn)
    @blp.response(201, OverrideOut)
    def request_override(body, account_id):
        """Ask for a tier, with a reason; another supervisor applies it (four eyes)."""
        state, override_id = web_state(), new_id("ovr_")
        outcome = application.request_override(
            state.engine,
            state.spec.projections,
            policy(),
            account_id,
            override_id,
            body,
            command_context(),
            on_transaction=claim_in,
        )
        return _override_view(outcome.state, override_id), 201

    @blp.route("/<account_id>/tier-overrides/<override_id>/approval", methods=["POST"])
    @requires("supervisor")
    @blp.arguments(ApprovalIn, required=False)  # nothing to say: no body, or {}
    @blp.response(200, OverrideOut)
    def approve_override(_body, account_id, override_id):
        """Apply a pending override; its requester may not (403)."""
        state = web_state()
        outcome = application.apply_override(
            state.engine,
            state.spec.projections,
            policy(),
            account_id,
            override_id,
            command_context(),
            on_transaction=claim_in,
        )
        return _override_view(outcome.state, override_id)


def _override_view(account, override_id: str) -> dict:
    override = account.override(override_id)
    return {
        "id": override.id,
        "account_id": account.id,
        "tier": override.tier,
        "reason": override.reason,
        "requested_by": override.requested_by,
        "status": override.status,
    }


def _restrictions(blp: ApiBlueprint) -> None:
    @blp.route("/<account_id>/restrictions", methods=["POST"])
    @requires("supervisor", "system")
    @blp.arguments(RestrictionIn)
    @blp.response(201, RestrictionOut)
    def restrict(body, account_id):
        """Impose a restriction with a reason, optional source and expiry."""
        state, restriction_id = web_state(), new_id("rst_")
        outcome = application.restrict(
            state.engine,
            state.spec.projections,
            account_id,
            restriction_id,
            body,
            command_context(),
            on_transaction=claim_in,
        )
        (restriction,) = [r for r in outcome.state.restrictions if r.id == restriction_id]
        return asdict(restriction), 201

    @blp.route("/<account_id>/restrictions/<restriction_id>", methods=["DELETE"])
    @requires("supervisor")
    @blp.arguments(ReasonIn)
    @blp.response(200, AccountOut)
    def lift(body, account_id, restriction_id):
        """Lift a restriction; whoever requested it may not (403)."""
        state = web_state()
        application.lift_restriction(
            state.engine,
            state.spec.projections,
            account_id,
            restriction_id,
            body["reason"] or LIFTED_BY_SUPERVISOR,
            command_context(),
            on_transaction=claim_in,
        )
        return read_account(account_id)
