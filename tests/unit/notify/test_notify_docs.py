"""docs/notify.md shows the elderly withdrawal_held texts exactly as the code renders them."""

from pathlib import Path

import pytest

from services.notify.rendering import Renderer
from services.notify.rules import load_rules
from shared.config import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "notify.md"
FACTS = {
    "amount": "80000.00",
    "channel": "counter_cash",
    "purpose": "investment",
    "reasons": ["ELDERLY_LARGE_CASH", "RISKY_PURPOSE"],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_documented_texts_are_what_an_elderly_customer_receives(language):
    renderer = Renderer(load_rules(Settings(service="notify", database_url="sqlite://"), env={}))
    rendered = renderer.render("withdrawal_held", "elderly", language, FACTS)
    doc = DOC.read_text()
    assert f"```text\n{rendered.body}\n```" in doc
    assert "```text\n" + "\n".join(rendered.parts) + "\n```" in doc
