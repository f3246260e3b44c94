"""Sign-in and sign-out pages: the bank's IdP when configured, a development form otherwise.

The development form trusts whatever role the user types, so it is loudly marked and
production mode refuses it outright.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from shared.tokens import ROLES
from shared.web.pages.errors import PageError
from shared.web.pages.redirects import safe_next
from shared.web.pages.session import PageUser, area, current_user, sign_in, sign_out
from shared.web.state import web_state

MAX_CLAIM = 100


def next_page(target: str | None) -> str:
    """Back to where the user was going, if that is inside this area; else its start page."""
    return safe_next(target, area().url_prefix) or url_for(area().home_endpoint)


def _development_allowed() -> bool:
    return web_state().settings.mode != "production"


def _read_form(fields: tuple[str, ...]) -> tuple[dict, dict]:
    values = {name: request.form.get(name, "").strip() for name in ("role", "sub", *fields)}
    errors: dict[str, str] = {}
    if values["role"] not in ROLES:
        errors["role"] = gettext("Choose one of the roles this area serves.")
    for name, value in values.items():
        if len(value) > MAX_CLAIM or not value.isprintable():
            errors[name] = gettext("Use at most 100 printable characters.")
    if not values["sub"]:
        errors["sub"] = gettext("Enter your user id.")
    if values["role"] == "police_liaison" and not values.get("police_unit"):
        errors["police_unit"] = gettext("Enter your police unit, for example PSB-HF-001.")
    return values, errors


def make_sign_in_blueprint() -> Blueprint:
    blp = Blueprint("sign_in", __name__)

    def render(values: dict, errors: dict, status: int = 200):
        return (
            render_template(
                "pages/sign_in.html",
                values=values,
                errors=errors,
                roles=[role for role in ROLES if role in area().roles],
                fields=area().sign_in_fields,
                development=_development_allowed(),
                oidc=bool(web_state().settings.oidc_issuer),
                next=request.values.get("next", ""),
                expired=request.args.get("expired") == "1",
            ),
            status,
        )

    @blp.get("/sign-in")
    def sign_in_page():
        """The sign-in page; an already signed-in user goes on."""
        if current_user() is not None:
            return redirect(next_page(request.args.get("next")), 303)
        return render({}, {})

    @blp.post("/sign-in")
    def sign_in_development():
        """Development only: sign in as whoever the form names."""
        if not _development_allowed():
            raise PageError(404, gettext("Development sign-in is switched off in production."))
        values, errors = _read_form(area().sign_in_fields)
        if values["role"] in ROLES and values["role"] not in area().roles:
            # As the API: a known caller of the wrong role is a 403, whichever way they came.
            raise PageError(403, gettext("Your role may not use this area."))
        if errors:
            return render(values, errors, 422)
        sign_in(
            PageUser(
                sub=values["sub"],
                role=values["role"],
                police_unit=values.get("police_unit") or None,
                branch_id=values.get("branch_id") or None,
            )
        )
        return redirect(next_page(request.form.get("next")), 303)

    @blp.post("/sign-out")
    def sign_out_page():
        """End the session here; an IdP session is the IdP's to end."""
        sign_out()
        flash(gettext("You have signed out."), "success")
        return redirect(url_for("sign_in.sign_in_page"), 303)

    return blp
