"""A tiny notes service for the shared web layer's tests; imported by the test_web_* modules.

It has no tests of its own: it is the smallest real service (a Blueprint, a schema, an
aggregate appended through shared.application.execute) the web machinery can wrap.
"""

from dataclasses import replace

import pytest
from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import Column, Engine, String, Table, func, insert, select

from shared.aggregate import Aggregate
from shared.application import execute
from shared.config import Settings
from shared.db import read_transaction
from shared.envelope import NewEvent
from shared.eventstore import ConcurrencyError
from shared.ids import new_id
from shared.ports import free_port
from shared.projections import Projections
from shared.schema import events
from shared.service import ServiceSpec
from shared.tokens import ROLES, mint_token
from shared.web.app import create_service_app
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema, history
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint as Blueprint
from shared.web.pagination import PageArgs, decode_cursor, page
from shared.web.problems import Problem
from shared.web.state import web_state

SECRET = "test-secret-of-at-least-thirty-two-bytes!"
WRITERS = ("teller", "supervisor")


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=200))
    priority = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5))


class NoteOut(Schema):
    id = fields.String()
    text = fields.String()
    priority = fields.Integer()
    author = fields.String()


class NotePage(Schema):
    items = fields.List(fields.Nested(NoteOut))
    next_cursor = fields.String(allow_none=True)


class WhoAmI(Schema):
    sub = fields.String()
    role = fields.String()
    police_unit = fields.String(allow_none=True)
    branch_id = fields.String(allow_none=True)


def evolve(state, event):
    return {**event.data, "id": event.stream_id} if event.type == "NoteWritten" else state


NOTE = Aggregate(name="note", initial=None, evolve=evolve)


def notes_spec() -> ServiceSpec:
    projections = Projections()
    notes = Table(
        "notes",
        projections.metadata,
        Column("id", String(64), primary_key=True),
        Column("text", String(200), nullable=False),
        Column("author", String(100), nullable=False),
    )

    @projections.on("NoteWritten")
    def _written(conn, event):
        conn.execute(insert(notes).values(id=event.stream_id, **_row(event.data)))

    return ServiceSpec(
        name="notes", projections=projections, blueprints=lambda: [notes_blueprint(notes)]
    )


def _row(data: dict) -> dict:
    return {"text": data["text"], "author": data["author"]}


def notes_blueprint(notes: Table) -> Blueprint:
    blp = Blueprint("notes", __name__, url_prefix="/v1/notes")

    @blp.route("/")
    class Notes(MethodView):
        @requires(*WRITERS)
        @blp.arguments(NoteIn)
        @blp.response(201, NoteOut)
        def post(self, body):
            """Write a note."""
            hook = current_app.config.get("BEFORE_EXECUTE")
            if hook:
                hook()
            note_id = new_id()
            context = command_context()

            def decide(state):
                if state is not None:
                    raise Problem(409, detail="note exists")
                return [NewEvent("NoteWritten", {**body, "author": context.actor.sub})]

            state = web_state()
            outcome = execute(
                state.engine,
                NOTE,
                note_id,
                decide,
                context,
                state.spec.projections,
                on_transaction=claim_in,
            )
            return outcome.state, 201, {"Location": f"/v1/notes/{note_id}"}

    @blp.route("/<note_id>")
    @requires(*ROLES)
    @blp.response(200, NoteOut)
    def get_note(note_id):
        """Read a note."""
        with read_transaction(web_state().engine) as conn:
            row = conn.execute(select(notes).where(notes.c.id == note_id)).mappings().first()
        if row is None:
            raise Problem(404, detail=f"No note {note_id}.")
        return dict(row)

    @blp.route("/<note_id>/events")
    @requires(*ROLES)
    @blp.response(200, HistorySchema)
    def note_events(note_id):
        """A note's own events."""
        return history(note_id, "note")

    @blp.route("/list")
    @requires(*ROLES)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, NotePage)
    def list_notes(args):
        """Notes, newest first."""
        query = select(notes).order_by(notes.c.id.desc()).limit(args["limit"] + 1)
        after = decode_cursor(args["cursor"])
        if after is not None:
            query = query.where(notes.c.id < after[0])
        with read_transaction(web_state().engine) as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
        return page(rows, args["limit"], lambda row: [row["id"]])

    @blp.route("/whoami")
    @requires(*ROLES)
    @blp.response(200, WhoAmI)
    def whoami():
        """The caller, as the token describes them."""
        return current_actor()

    @blp.route("/race", methods=["POST"])
    @requires(*ROLES)
    def race():
        """Lose an optimistic-concurrency race on every retry."""
        raise ConcurrencyError("stream moved")

    @blp.route("/boom", methods=["POST"])
    @requires(*ROLES)
    def boom():
        """Fail unexpectedly."""
        raise RuntimeError("kaboom: password=hunter2 in /secret/path")

    return blp


def settings(database_url: str, **overrides) -> Settings:
    values = {
        "service": "notes",
        "database_url": database_url,
        "nats_url": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        "jwt_secret": SECRET,
        "max_body_bytes": 2048,
    }
    return replace(Settings(**values), **overrides)


def make_app(database_url: str, **overrides):
    return create_service_app(notes_spec(), settings(database_url, **overrides))


@pytest.fixture
def notes_app(database_url):
    """The notes app on the test's database (a plugin: tests/conftest.py loads this module)."""
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def notes_client(notes_app):
    return notes_app.test_client()


def bearer(role: str = "teller", sub: str = "t-1", secret: str = SECRET, **claims) -> dict:
    return {"Authorization": f"Bearer {mint_token(secret, sub, role, **claims)}"}


def event_count(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()
