"""Reads from other services' APIs, asked as the signed-in user (DOMAIN §1: never their DB).

The token is the user's own role and sub, valid for two minutes, so the other service applies
its own rules to this person. A peer that is down, slow or refusing must not take the case page
down with it: every failure is None, and the page says the fact is not available right now.
"""

import logging
from urllib.parse import quote

import httpx
from flask import current_app

from shared.tokens import mint_token
from shared.web.pages.session import current_user
from shared.web.state import web_state

TIMEOUT_SECONDS = 2.0
TOKEN_SECONDS = 120
NOTIFICATIONS_SHOWN = 50
CLIENT = "warden_peers"

log = logging.getLogger(__name__)


def _token() -> str:
    user = current_user()
    return mint_token(
        web_state().settings.jwt_secret,
        user.sub,
        user.role,
        police_unit=user.police_unit,
        branch_id=user.branch_id,
        ttl_seconds=TOKEN_SECONDS,
    )


def init_peers(app) -> None:
    """One pooled client per app: a fresh one per call costs ~27 ms of TLS setup each time."""
    app.extensions.setdefault(CLIENT, httpx.Client(timeout=TIMEOUT_SECONDS))


def peer_get(base_url: str, path: str, params: dict | None = None) -> dict | None:
    """The JSON another service answers to a GET, or None if it did not answer well."""
    try:
        response = current_app.extensions[CLIENT].get(
            base_url.rstrip("/") + path,
            params=params,
            headers={"Authorization": f"Bearer {_token()}", "Accept": "application/json"},
        )
        response.raise_for_status()
        found = response.json()
    except (httpx.HTTPError, ValueError) as error:
        log.warning("peer %s%s not available: %s", base_url, path, error)
        return None
    return found if isinstance(found, dict) else None


def notifications(customer_id: str) -> list[dict] | None:
    """What notify has told the customer, newest first; None when notify did not answer."""
    found = peer_get(
        web_state().settings.notify_url,
        "/v1/notifications",
        {"customer_id": customer_id, "limit": NOTIFICATIONS_SHOWN},
    )
    if found is None or not isinstance(found.get("items"), list):
        return None
    return [item for item in found["items"] if isinstance(item, dict)]


def withdrawal(withdrawal_id: str) -> dict | None:
    """The withdrawal as withdrawals sees it now; None when it did not answer."""
    return peer_get(
        web_state().settings.withdrawals_url, f"/v1/withdrawals/{quote(withdrawal_id, safe='')}"
    )
