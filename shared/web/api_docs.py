"""Swagger UI served by the service itself, so `/docs` works where there is no Internet.

Bank branch networks are often offline: a `/docs` page that fetched Swagger UI from a CDN was
blank there. The files come from the `swagger-ui-bundle` wheel instead, under a URL that names
their version, so browsers may keep them for a year and a new version is a new URL.
"""

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

SWAGGER_UI_DIR = Path(str(swagger_ui_path))  # …/swagger_ui_bundle/vendor/swagger-ui-4.15.5
SWAGGER_UI_VERSION = SWAGGER_UI_DIR.name.removeprefix("swagger-ui-")
URL_PREFIX = f"/docs/static/swagger-ui-{SWAGGER_UI_VERSION}"
SWAGGER_UI_URL = f"{URL_PREFIX}/"  # flask-smorest's OPENAPI_SWAGGER_UI_URL: a base, slash-ended
# What flask-smorest's swagger_ui.html loads, and the source maps those files name. Not the
# bundle's own index.html and swagger-initializer.js: they would show the Petstore demo,
# fetched from the Internet.
ASSETS = frozenset(
    name
    for base in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")
    for name in (base, f"{base}.map")
)
MAX_AGE_SECONDS = 365 * 24 * 3600  # the version is in the URL: a file never changes under it
# Swagger UI's settings for `/docs` (OPENAPI_SWAGGER_UI_CONFIG). No validator: it would send
# the document's URL to validator.swagger.io and show a badge image from there.
SWAGGER_UI_CONFIG = {"validatorUrl": None}


def make_api_docs_blueprint() -> Blueprint:
    blueprint = Blueprint("swagger_ui", __name__, url_prefix=URL_PREFIX)

    @blueprint.get("/<name>")
    def asset(name: str):
        if name not in ASSETS:
            abort(404)
        response = send_from_directory(SWAGGER_UI_DIR, name, max_age=MAX_AGE_SECONDS)
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response

    return blueprint
