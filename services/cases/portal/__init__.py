"""The police portal: its own app and port (WARDEN_PORTAL_PORT), serving police pages only.

It shares the cases database, so a confirmation here is the same command the API runs, but it
registers no investigator route and no API: it can face the police network alone.
"""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from services.cases.projections import projections
from shared.config import Settings, load_settings
from shared.service import ServiceSpec
from shared.web.pages.area import PagesArea

LIAISON = "police_liaison"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def portal_area() -> PagesArea:
    from services.cases.portal.views import make_portal_blueprint

    return PagesArea(
        name="portal",
        url_prefix="/portal",
        roles=(LIAISON,),
        blueprints=lambda: [make_portal_blueprint()],
        home_endpoint="portal.home",
        sign_in_fields=("police_unit",),
        catalogs=(TRANSLATIONS,),
        title=_l("Warden police portal"),
    )


def portal_spec(settings: Settings) -> ServiceSpec:
    """The cases service's tables, no API, the portal's pages."""
    return ServiceSpec(name="portal", projections=projections, pages=portal_area)


def create_app(config: dict | None = None):
    """The portal app, as gunicorn loads it: 'services.cases.portal:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings("cases", config)
    return create_service_app(portal_spec(settings), settings)
