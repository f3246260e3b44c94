"""Fixtures: the withdrawals app on the test's database, fed events through its own consumer."""

import pytest
from withdrawals_support import NOW, Clock, Feed, wd_settings

from services.withdrawals import service_spec
from shared.web.app import create_service_app


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def wd_app(database_url, clock):
    app = create_service_app(service_spec(), wd_settings(database_url))
    app.extensions["warden"].clock = clock
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(wd_app):
    return wd_app.test_client()


@pytest.fixture
def feed(wd_app) -> Feed:
    state = wd_app.extensions["warden"]
    return Feed(state.spec, state.settings, state.engine)


@pytest.fixture
def story(feed) -> Feed:
    """DOMAIN §9 story 2's customer: 68 years old, an active LOW account at branch HF-01."""
    feed.customer()
    feed.account()
    return feed
