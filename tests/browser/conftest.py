"""The whole system as processes (SQLite, as `make run` starts it), driven by real Chromium.

One system per test module (a module may set SYSTEM_ENV), one Chromium per module, a fresh
browser context per test. Data is seeded over HTTP with minted tokens, as the e2e stories do.
"""

import os
import shutil
import uuid

import pytest
from browser_support import ACTION_TIMEOUT_MS, DESKTOP, SECRET, Api, text_of
from playwright.sync_api import sync_playwright

from shared.cli import SERVICES
from shared.ports import free_ports
from shared.runner import System


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    """Free ports for this module's system: each service's web app, the portal and NATS."""
    names = [*SERVICES, "portal", "nats"]
    return dict(zip(names, free_ports(len(names)), strict=True))


@pytest.fixture(scope="module")
def system_env(request, ports) -> dict[str, str]:
    """Extra WARDEN_* settings for the module's system: its SYSTEM_ENV, or override this."""
    return dict(getattr(request.module, "SYSTEM_ENV", {}))


@pytest.fixture(scope="module")
def system(tmp_path_factory, ports, system_env):
    var = tmp_path_factory.mktemp(f"browser-{uuid.uuid4().hex[:6]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update({"WARDEN_VAR_DIR": str(var), "WARDEN_JWT_SECRET": SECRET})
    for name in (*SERVICES, "portal"):
        env[f"WARDEN_{name.upper()}_PORT"] = str(ports[name])
    env.update(system_env)
    log = open(var / "system.log", "wb")  # noqa: SIM115 - closed after the system stops
    running = System(list(SERVICES), env, output=log, nats_port=ports["nats"])
    try:
        try:
            running.start(timeout=120)  # a loaded 2-core CI machine starts slowly
        except Exception as error:
            log.flush()
            tail = (var / "system.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(
                f"the system did not start ({error}); its log ends:\n{tail}"
            ) from error
        yield running
    finally:
        running.stop()
        log.close()


@pytest.fixture(scope="module")
def api(system):
    clients = {name: Api(url) for name, url in system.urls.items()}
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def console(system) -> str:
    """The cases web app's base URL (the console lives under /console/)."""
    return system.urls["cases"]


@pytest.fixture(scope="module")
def portal(system) -> str:
    """The police portal's base URL (its pages live under /portal/)."""
    return system.urls["portal"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright; never a downloaded browser.

    Module-scoped, not session-scoped: a live sync Playwright leaves its asyncio loop marked
    running in this thread, which would break asyncio.run() in the NATS tests that an xdist
    worker may run after this module.
    """
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed (no `chromium` on PATH): run `make browser`, "
            "which apt-get installs chromium and fonts-noto-cjk",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def new_page(request, browser):
    """A page in a fresh browser context: new_page(locale="zh-CN", viewport=DESKTOP).

    Each call is a separate person (own cookies). On failure every page's URL and text are
    printed, so a broken page explains itself in the test report.
    """
    contexts = []

    def make(locale: str = "zh-CN", viewport: dict | None = None):
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    try:
        if getattr(request.node, "browser_failed", False):
            for context in contexts:
                for page in context.pages:
                    print(f"--- {page.url}\n{text_of(page)[:3000]}")
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page):
    """One person's page, Chinese (the default language), desktop-sized."""
    return new_page()
