"""Fixtures of the cases integration tests: the app on SQLite and PostgreSQL, and a clock."""

from datetime import timedelta

import pytest
from cases_support import HOLD_AT, make_app


class Clock:
    """The time the app believes it is; tests move it instead of sleeping."""

    def __init__(self, now=HOLD_AT + timedelta(minutes=5)):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cases_app(database_url, clock):
    app = make_app(database_url, clock=clock)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(cases_app):
    return cases_app.test_client()


@pytest.fixture
def engine(cases_app):
    return cases_app.extensions["warden"].engine
