"""Signing a Flask test client in to a page area, as a browser would: through the form."""

import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def page_sign_in(
    client, prefix: str, role: str, sub: str, language: str | None = None, **claims
) -> str:
    """Sign in through the development form; answer the new session's CSRF token.

    Signing in starts a fresh session, so the token of the sign-in form is spent; a
    `language` chosen on the sign-in page is kept.
    """
    asked = f"?lang={language}" if language else ""
    token = csrf_of(client.get(f"{prefix}/sign-in{asked}").get_data(as_text=True))
    form = {"role": role, "sub": sub, "csrf_token": token, **claims}
    response = client.post(f"{prefix}/sign-in", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return csrf_of(client.get(f"{prefix}/").get_data(as_text=True))


def main_of(html: str) -> str:
    """The page's <main>: what differs between two pages, without the header around it."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
