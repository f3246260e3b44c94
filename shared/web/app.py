"""The app factory every service's `create_app` calls: one Flask app, built entirely here."""

from inspect import iscoroutinefunction

from flask import Flask, current_app, request
from flask_smorest import Api
from sqlalchemy import Engine

from shared import codec, eventstore
from shared.config import Settings
from shared.db import make_engine
from shared.money import Money
from shared.service import ServiceSpec
from shared.tokens import check_secret
from shared.web.api_docs import SWAGGER_UI_CONFIG, SWAGGER_UI_URL, make_api_docs_blueprint
from shared.web.auth import BEARER_SCHEME, init_auth
from shared.web.bodies import install_body_limits
from shared.web.health import make_health_blueprint
from shared.web.idempotency import init_idempotency
from shared.web.json_bodies import refuse_nul_in_url
from shared.web.logging import init_request_logging, make_logger
from shared.web.metrics import init_metrics, make_metrics_blueprint
from shared.web.openapi import finish_document, refinements_of
from shared.web.pages.area import install_area
from shared.web.problems import Problem, ProblemSchema, from_http_exception, init_problems
from shared.web.state import WebState

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class WardenFlask(Flask):
    """Flask, deciding once per function whether it is a coroutine function.

    Flask asks `inspect.iscoroutinefunction` of every hook and view on every request: a dozen
    hooks make that a noticeable share of a cheap request such as /healthz. The answer is kept
    per underlying function (a MethodView's method is bound to a new view on each request),
    and only for a bounded number of them, so a callable made per request cannot grow it.
    """

    KNOWN_FUNCTIONS = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._is_coroutine: dict = {}

    def ensure_sync(self, func):
        known = self._is_coroutine
        key = getattr(func, "__func__", func)
        try:
            is_coroutine = known[key]
        except KeyError:
            is_coroutine = iscoroutinefunction(func)
            if len(known) < self.KNOWN_FUNCTIONS:
                known[key] = is_coroutine
        except TypeError:  # an unhashable callable: asked afresh, as Flask does
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func


class WardenApi(Api):
    """flask-smorest's Api, documenting and answering errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return from_http_exception(error)

    def _openapi_json(self):
        """The document flask-smorest builds, finished by `shared.web.openapi`."""
        return current_app.response_class(
            codec.dumpb(
                finish_document(self.spec.to_dict(), refinements_of(self.ma_plugin.converter.refs))
            ),
            mimetype="application/json",
        )


def create_service_app(
    spec: ServiceSpec, settings: Settings, engine: Engine | None = None
) -> Flask:
    """Build a service's web app; pass `engine` to share one (tests), else settings make one."""
    check_secret(settings.jwt_secret)
    log = make_logger(f"warden.{spec.name}.web")
    if settings.uses_dev_secret:
        log.warning("development JWT secret in use — never in production", service=spec.name)
    engine = engine or make_engine(settings.database_url)
    eventstore.create_schema(engine, spec.projections.metadata)

    app = WardenFlask(__name__)
    app.config.update(_api_config(spec, settings))
    state = WebState(spec=spec, settings=settings, engine=engine, log=log)
    app.extensions["warden"] = state

    # Hook order matters: before_request hooks run in this order, after_request in reverse.
    init_request_logging(app, log)
    init_metrics(app, state.registry, engine, log)
    install_body_limits(app, settings.max_body_bytes)  # 413 before auth; keep-alive kept honest
    init_auth(app)
    app.before_request(refuse_nul_in_url)
    app.before_request(_require_json_bodies)
    init_idempotency(app)

    blueprints = spec.blueprints()
    if blueprints:  # an app of pages only (the police portal) publishes no API at all
        api = WardenApi(
            app, spec_kwargs={"components": {"securitySchemes": {"bearerAuth": BEARER_SCHEME}}}
        )
        api.register_field(Money, "string", "money")  # "50000.00" in the OpenAPI document
        for blueprint in blueprints:
            api.register_blueprint(blueprint)
        app.register_blueprint(make_api_docs_blueprint())  # /docs's Swagger UI files
    init_problems(app)  # after Api(), whose own HTTPException handler this replaces
    area = spec.pages()
    if area is not None:
        install_area(app, area, settings)  # its error pages take over under its prefix
    app.register_blueprint(make_health_blueprint())
    app.register_blueprint(make_metrics_blueprint())
    return app


def _api_config(spec: ServiceSpec, settings: Settings) -> dict:
    return {
        "API_TITLE": f"Warden {spec.name}",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,  # served by the service: no CDN
        "OPENAPI_SWAGGER_UI_CONFIG": SWAGGER_UI_CONFIG,
        "MAX_CONTENT_LENGTH": settings.max_body_bytes,
        "JSON_SORT_KEYS": True,
    }


def _require_json_bodies() -> None:
    """415 for an API body that is not JSON, rather than a misleading 422 about missing fields.

    Pages post HTML forms; only the API speaks JSON.
    """
    if request.method not in BODY_METHODS:
        return
    area = current_app.extensions.get("warden_pages")
    if area is not None and request.path.startswith(area.url_prefix + "/"):
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if has_body and not request.is_json:
        raise Problem(415, detail="Send the request body as application/json.")
