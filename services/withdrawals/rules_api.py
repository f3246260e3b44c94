"""HTTP for governed rules: propose, approve or reject (four eyes), list, show, diff."""

from flask import current_app
from flask.views import MethodView

from services.withdrawals import application, queries
from services.withdrawals.problems import domain_problems
from services.withdrawals.rule_version_projection import active_version
from services.withdrawals.rule_version_schemas import (
    ApprovalIn,
    DiffArgs,
    RejectionIn,
    RulesDiff,
    RulesVersionIn,
    RulesVersionList,
    RulesVersionOut,
)
from services.withdrawals.rule_versions import NotYourApproval, differences, stream_id
from services.withdrawals.rules import seed_config
from shared.db import read_transaction
from shared.web.auth import requires
from shared.web.context import command_context
from shared.web.history import HistorySchema, history
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.problems import Problem, problem_response
from shared.web.state import web_state

GOVERNORS = ("supervisor",)
READERS = ("system", "investigator", "supervisor", "auditor")
SEED_KEY = "withdrawals.seed_rules"


def make_rules_blueprint(service) -> ApiBlueprint:
    """`service()` is the withdrawals API's own Service factory (rules file read once)."""
    blp = ApiBlueprint("rule_versions", __name__, url_prefix="/v1/rule-versions")
    blp.register_error_handler(
        NotYourApproval, lambda e: problem_response(Problem(403, detail=str(e)))
    )
    domain_problems(blp)

    def seed(svc) -> dict:
        """The rules file as a version: it screens until an approved version takes effect."""
        config = current_app.extensions.get(SEED_KEY)
        if config is None:
            config = current_app.extensions[SEED_KEY] = seed_config(web_state().settings.rules_file)
        return {"version": svc.rules.version, "status": "seed", "config": config}

    def in_force(conn, svc) -> str:
        table = svc.projections.metadata.tables["wd_rule_versions"]
        found = active_version(conn, table, web_state().clock())
        return svc.rules.version if found is None else found[0]

    def one(conn, svc, version: str) -> dict:
        if version == svc.rules.version:
            row = seed(svc)
        else:
            row = queries.rule_version_row(conn, svc.projections, version)
            if row is None:
                raise Problem(404, detail=f"No rules version {version}.")
        return {**row, "in_force": row["version"] == in_force(conn, svc)}

    @blp.route("")
    class Versions(MethodView):
        @requires(*READERS)
        @blp.response(200, RulesVersionList)
        def get(self):
            """Every rules version, the seed (the rules file) first, and which one is in force."""
            svc = service()
            with read_transaction(svc.engine) as conn:
                current = in_force(conn, svc)
                rows = [seed(svc), *queries.rule_version_rows(conn, svc.projections)]
            items = [{**row, "in_force": row["version"] == current} for row in rows]
            return {"in_force": current, "items": items}

        @requires(*GOVERNORS)
        @blp.arguments(RulesVersionIn)
        @blp.response(201, RulesVersionOut)
        def post(self, body):
            """Propose a rules version: the whole configuration, checked, and why."""
            svc = service()
            row = application.propose_rules_version(
                svc,
                body["version"],
                body["rules"],
                body["reason"],
                command_context(),
                on_transaction=claim_in,
            )
            location = f"/v1/rule-versions/{body['version']}"
            return {**row, "in_force": False}, 201, {"Location": location}

    @blp.route("/<version>")
    @requires(*READERS)
    @blp.response(200, RulesVersionOut)
    def show(version):
        """One rules version, with its configuration and its review."""
        svc = service()
        with read_transaction(svc.engine) as conn:
            return one(conn, svc, version)

    @blp.route("/<version>/approval", methods=["POST"])
    @requires(*GOVERNORS)
    @blp.arguments(ApprovalIn)
    @blp.response(200, RulesVersionOut)
    def approve(body, version):
        """Approve a proposed version (not your own): it takes effect at `activates_at`, or now."""
        svc = service()
        application.approve_rules_version(
            svc, version, body["reason"], body["activates_at"], command_context(), claim_in
        )
        with read_transaction(svc.engine) as conn:
            return one(conn, svc, version)

    @blp.route("/<version>/rejection", methods=["POST"])
    @requires(*GOVERNORS)
    @blp.arguments(RejectionIn)
    @blp.response(200, RulesVersionOut)
    def reject(body, version):
        """Reject a proposed version (not your own)."""
        svc = service()
        row = application.reject_rules_version(
            svc, version, body["reason"], command_context(), claim_in
        )
        return {**row, "in_force": False}

    @blp.route("/<version>/diff")
    @requires(*READERS)
    @blp.arguments(DiffArgs, location="query")
    @blp.response(200, RulesDiff)
    def diff(args, version):
        """What changes from `against` (default: the version in force) to this version."""
        svc = service()
        with read_transaction(svc.engine) as conn:
            against = args["against"] or in_force(conn, svc)
            older, newer = one(conn, svc, against), one(conn, svc, version)
        changes = differences(older["config"], newer["config"])
        return {"version": version, "against": against, "changes": changes}

    @blp.route("/<version>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def version_events(version):
        """The version's own events: proposed, approved or rejected, each with who and why."""
        return history(stream_id(version), "rules_version")

    return blp
