"""Each service's Swagger UI (`/docs`) in Chromium with no network beyond the machine itself.

Bank branch networks are often offline, so `/docs` must load everything from the service: any
request to a host other than loopback is aborted and recorded, and the page must still render
every operation of the service's OpenAPI document.
"""

import os
import re
from urllib.parse import urljoin, urlsplit

import pytest
from browser_support import ACTION_TIMEOUT_MS, SCREENSHOTS
from playwright.sync_api import expect

from shared.cli import SERVICES

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
ASSET = re.compile(r"""(?:href|src)="([^"]+)\"""")


def operations(document: dict) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation the OpenAPI document declares."""
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def offline_page(new_page):
    """An English page whose requests to any host but loopback are aborted and recorded."""
    page = new_page(locale="en")
    left = []

    def only_loopback(route):
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            left.append(url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_loopback)
    page.context.on("websocket", lambda socket: left.append(socket.url))
    return page, left


@pytest.mark.parametrize("service", SERVICES)
def test_docs_render_every_operation_without_leaving_the_machine(service, system, api, new_page):
    document = api[service].http.get("/openapi.json").json()
    declared = operations(document)
    assert declared, f"{service} documents no operation"
    page, left = offline_page(new_page)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{system.urls[service]}/docs")

    blocks = page.locator("#swagger-ui-container .opblock")
    expect(blocks).to_have_count(len(declared), timeout=ACTION_TIMEOUT_MS)
    rendered = page.evaluate(
        """() => [...document.querySelectorAll("#swagger-ui-container .opblock")].map(b => [
            b.querySelector(".opblock-summary-method").textContent.trim(),
            b.querySelector(".opblock-summary-path").getAttribute("data-path"),
        ])"""
    )
    assert {tuple(pair) for pair in rendered} == declared
    expect(page.locator(".info .title")).to_contain_text(document["info"]["title"])
    summarised = sorted(
        (path, method, operation["summary"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS and operation.get("summary")
    )
    if summarised:
        path, method, summary = summarised[0]
        block = page.locator(f".opblock-{method}").filter(
            has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
        )
        expect(block.locator(".opblock-summary-description")).to_have_text(summary)
    page.wait_for_load_state("networkidle")
    assert left == [], f"/docs of {service} reached beyond the machine: {left}"
    assert errors == [], f"/docs of {service} raised in the browser: {errors}"

    if os.environ.get("WARDEN_SCREENSHOTS") == "1" and service == "withdrawals":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))


@pytest.mark.parametrize("service", SERVICES)
def test_docs_assets_come_from_the_service_and_are_cached(service, system, api):
    http = api[service].http
    page = http.get("/docs")
    assert page.status_code == 200
    assets = ASSET.findall(page.text)
    assert len(assets) == 3, assets  # Swagger UI's stylesheet, bundle and standalone preset
    for asset in assets:
        url = urljoin(f"{system.urls[service]}/docs", asset)
        assert urlsplit(url).hostname in LOOPBACK, f"{asset} is not served by {service}"
        response = http.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        cache = response.headers.get("Cache-Control", "")
        max_age = re.search(r"max-age=(\d+)", cache)
        assert max_age and int(max_age.group(1)) >= 86_400, f"{url}: Cache-Control {cache!r}"
        etag = response.headers.get("ETag")
        assert etag, url
        assert http.get(url, headers={"If-None-Match": etag}).status_code == 304, url
    # Only Swagger UI's own assets are served: not the bundle's demo page (the Petstore).
    base = urljoin(f"{system.urls[service]}/docs", assets[0]).rsplit("/", 1)[0]
    assert http.get(f"{base}/index.html").status_code == 404
    assert http.get(f"{base}/swagger-initializer.js").status_code == 404
