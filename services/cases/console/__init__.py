"""The investigator console, /console/ on the cases web app: queues, cases, the dashboard.

Pages call the same application and query functions as the API; facts other services hold
(what the customer was told, where the withdrawal stands) come from their APIs, asked as the
signed-in user.
"""

from pathlib import Path

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from services.cases.api import WORKERS  # the API's rules are the console's
from shared.web.pages.area import PagesArea

__all__ = ["WORKERS", "CONSOLE_ROLES", "console_area", "make_console_blueprint"]

CONSOLE_ROLES = ("investigator", "supervisor", "auditor")  # the API's readers but `system`
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def make_console_blueprint() -> Blueprint:
    from services.cases.console import case_page, dashboard, queue
    from services.cases.console.labels import told
    from services.cases.console.peers import init_peers

    blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
    blp.add_app_template_global(told, "told")
    blp.record_once(lambda state: init_peers(state.app))
    queue.register_queue(blp)
    case_page.register_case_page(blp)
    dashboard.register_dashboard(blp)
    return blp


def console_area() -> PagesArea:
    return PagesArea(
        name="console",
        url_prefix="/console",
        roles=CONSOLE_ROLES,
        blueprints=lambda: [make_console_blueprint()],
        home_endpoint="console.home",
        sign_in_fields=("branch_id",),
        catalogs=(TRANSLATIONS,),
        title=_l("Warden investigator console"),
    )
