"""Every template renders in every segment and language, strictly, with the hotline."""

import itertools
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from services.notify.domain import LANGUAGES, SEGMENTS, TEMPLATES
from services.notify.rendering import TEMPLATES_DIR, Renderer, money, split_sms
from services.notify.rules import load_rules
from shared.config import Settings

ALL_REASONS = [
    "RISKY_PURPOSE",
    "ELDERLY_LARGE_CASH",
    "NEW_ACCOUNT_LARGE",
    "PURPOSE_MISMATCH",
    "HIGH_RISK_TIER",
    "OPEN_CASE",
    "VELOCITY",
    "A_CODE_FROM_THE_FUTURE",
]
# What handlers pass as facts, per template, with every branch of the templates covered.
FACTS = {
    "welcome": [{"account_id": "a1"}],
    "fraud_tips": [{}],
    "withdrawal_held": [
        {
            "amount": "80000.00",
            "channel": "counter_cash",
            "purpose": "investment",
            "reasons": ALL_REASONS,
        },
        {"amount": "12000.00", "channel": "mobile_transfer", "purpose": "other", "reasons": []},
    ],
    "withdrawal_released": [
        {"withdrawal_id": "w1", "amount": "80000.00", "channel": "counter_cash"},
        {"withdrawal_id": "w1"},  # held before notify knew of it
    ],
    "fraud_warning": [
        {"amount": "80000.00", "channel": "counter_cash", "purpose": purpose}
        for purpose in (
            "investment",
            "safe_account_transfer",
            "loan_or_fee_payment",
            "unknown_third_party",
            None,
        )
    ],
    "account_restricted": [{"account_id": "a1"}],
    "limits_changed": [
        {
            "limits": {"per_transaction": "20000.00", "daily": "50000.00"},
            "verification_method": "sms_otp_and_face",
        },
        {
            "limits": {"per_transaction": "0.00", "daily": "0.00"},
            "verification_method": "counter_only",
        },
    ],
}
CASES = [
    (template, segment, language, facts)
    for template, segment, language in itertools.product(TEMPLATES, SEGMENTS, LANGUAGES)
    for facts in FACTS[template]
]


@pytest.fixture(scope="module")
def renderer():
    settings = Settings(service="notify", database_url="sqlite://")
    return Renderer(load_rules(settings, env={"WARDEN_NOTIFY_HOTLINE": "400-123-4567"}))


def test_every_template_has_facts_to_test_with():
    assert set(FACTS) == set(TEMPLATES)


@pytest.mark.parametrize(("template", "segment", "language", "facts"), CASES)
def test_every_template_renders_with_the_hotline_and_parts_within_the_sms_limit(
    renderer, template, segment, language, facts
):
    rendered = renderer.render(template, segment, language, facts)
    assert "400-123-4567" in rendered.body
    assert rendered.source.endswith(f".{language}.j2"), "both languages exist for every template"
    limit = {"zh-CN": 70, "en": 160}[language]
    assert all(len(part) <= limit for part in rendered.parts)
    if len(rendered.parts) > 1:
        assert rendered.parts[0].startswith(f"(1/{len(rendered.parts)})")
    assert "{{" not in rendered.body and "{%" not in rendered.body
    assert rendered.subject


def test_fallback_goes_to_standard_then_to_zh_cn(tmp_path: Path, renderer):
    assert renderer.source("withdrawal_held", "elderly", "en") == "withdrawal_held/elderly.en.j2"
    assert renderer.source("withdrawal_held", "student", "en") == "withdrawal_held/standard.en.j2"
    (tmp_path / "phrases.toml").write_bytes((TEMPLATES_DIR / "phrases.toml").read_bytes())
    (tmp_path / "welcome").mkdir()
    (tmp_path / "welcome" / "standard.zh-CN.j2").write_text("您好 {{ hotline }}")
    sparse = Renderer(renderer.rules, tmp_path)
    assert sparse.source("welcome", "elderly", "en") == "welcome/standard.zh-CN.j2"
    assert sparse.render("welcome", "elderly", "en", {}).body == "您好 400-123-4567"
    with pytest.raises(LookupError):
        sparse.source("fraud_tips", "standard", "zh-CN")


def test_a_variable_nobody_supplies_fails_loudly(tmp_path: Path, renderer):
    (tmp_path / "phrases.toml").write_bytes((TEMPLATES_DIR / "phrases.toml").read_bytes())
    (tmp_path / "welcome").mkdir()
    (tmp_path / "welcome" / "standard.zh-CN.j2").write_text("您好 {{ hotlien }}")
    with pytest.raises(UndefinedError):
        Renderer(renderer.rules, tmp_path).render("welcome", "standard", "zh-CN", {})


def test_segment_texts_carry_their_own_tips(renderer):
    elderly = renderer.render("welcome", "elderly", "zh-CN", {}).body
    student = renderer.render("welcome", "student", "zh-CN", {}).body
    assert "安全账户" in elderly and "子女" in elderly
    assert "兼职" in student and "游戏账号" in student and "校园贷" in student
    assert "part-time job" in renderer.render("welcome", "student", "en", {}).body
    assert '"safe account"' in renderer.render("welcome", "elderly", "en", {}).body


def test_withdrawal_held_says_why_what_next_how_long_and_whom_to_call(renderer):
    facts = FACTS["withdrawal_held"][0] | {"reasons": ["ELDERLY_LARGE_CASH", "RISKY_PURPOSE"]}
    zh = renderer.render("withdrawal_held", "elderly", "zh-CN", facts).body
    assert "80,000.00元" in zh and "年长的客户" in zh and "骗子最常编造" in zh
    assert "公安机关一起核实" in zh and "约2小时" in zh and "反诈热线400-123-4567" in zh
    en = renderer.render("withdrawal_held", "elderly", "en", facts).body
    assert "80,000.00 CNY" in en and "older customers" in en and "about 2 hours" in en
    assert "checking with the police" in en and "anti-fraud hotline 400-123-4567" in en


def test_the_sla_is_a_setting(tmp_path: Path):
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('hold_sla_minutes = 90\nhotline = "95599"\n')
    settings = Settings(service="notify", database_url="sqlite://", rules_file=str(rules_file))
    renderer = Renderer(load_rules(settings, env={}))
    body = renderer.render("withdrawal_held", "standard", "en", FACTS["withdrawal_held"][0]).body
    assert "about 90 minutes" in body and "95599" in body


def test_short_bodies_are_one_part_without_a_marker():
    assert split_sms("您好，您的账户已开通。", 70) == ["您好，您的账户已开通。"]


def test_long_chinese_is_split_by_characters_into_numbered_parts():
    body = "一二三四五六七八九十" * 15  # 150 characters
    parts = split_sms(body, 70)
    assert [p[:5] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"]
    assert all(len(p) <= 70 for p in parts)
    assert "".join(p[5:] for p in parts) == body


def test_numbers_and_words_are_not_cut_between_parts():
    body = "请拨打热线" * 12 + "400-000-0000，谢谢。"
    parts = split_sms(body, 70)
    assert any("400-000-0000" in part for part in parts)
    english = " ".join(["patience"] * 60)
    parts = split_sms(english, 160)
    assert all(len(p) <= 160 for p in parts)
    assert all(word == "patience" for p in parts for word in p.split(")", 1)[1].split())


def test_ten_parts_or_more_still_fit_with_wider_markers():
    parts = split_sms("字" * 700, 70)
    assert len(parts) == 12 and parts[-1].startswith("(12/12)")  # 63 characters a part
    assert all(len(p) <= 70 for p in parts)
    assert sum(len(p.split(")", 1)[1]) for p in parts) == 700


def test_money_is_shown_with_thousands_separators():
    assert money("80000.00") == "80,000.00"
    assert money("0.00") == "0.00"
    assert money(None) is None
