"""A restriction or a tier change never tells a suspect what the bank suspects."""

import pytest

from services.notify.domain import LANGUAGES, SEGMENTS
from services.notify.rendering import Renderer
from services.notify.rules import load_rules
from shared.config import Settings

# Words that would tip off a suspected mule: fraud, suspicion, police, investigation, freezing.
FORBIDDEN = {
    "zh-CN": ["诈", "骗", "嫌疑", "可疑", "公安", "警", "涉案", "冻结", "调查", "犯罪", "案"],
    "en": [
        "fraud",
        "scam",
        "suspect",
        "suspicio",
        "police",
        "investigat",
        "frozen",
        "freez",
        "crime",
        "criminal",
        "mule",
        "case",
    ],
}


@pytest.fixture(scope="module")
def renderer():
    return Renderer(load_rules(Settings(service="notify", database_url="sqlite://"), env={}))


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_account_restricted_and_restricted_limits_say_nothing_of_the_suspicion(
    renderer, segment, language
):
    restricted = renderer.render("account_restricted", segment, language, {"account_id": "a1"})
    limits = renderer.render(
        "limits_changed",
        segment,
        language,
        {
            "limits": {"per_transaction": "0.00", "daily": "0.00"},
            "verification_method": "counter_only",
        },
    )
    for body in (restricted.body, limits.body, restricted.subject, limits.subject):
        lowered = body.lower()
        assert not [word for word in FORBIDDEN[language] if word in lowered], body
        assert "400-000-0000" in body or body in (restricted.subject, limits.subject)
