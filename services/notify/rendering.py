"""Messages from Jinja2 templates per (template, segment, language), and SMS parts."""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notify.domain import DEFAULT_LANGUAGE
from services.notify.rules import Rules
from shared.money import from_fen, to_fen

TEMPLATES_DIR = Path(__file__).with_name("templates")
FALLBACK_SEGMENT = "standard"
# Tokens an SMS may be cut between: one CJK character or mark (with any closing marks after it,
# so no part starts with a comma), a run of other visible characters (a word, an amount, the
# hotline number), or whitespace.
_CLOSING = "，。；：、！？”’）》」』"
_TOKENS = re.compile(
    rf"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u201c\u201d\u2018\u2019][{_CLOSING}]*"
    r"|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u201c\u201d\u2018\u2019]+|\s+"
)


@dataclass(frozen=True)
class Rendered:
    source: str  # the template file used, after fallback
    subject: str
    body: str
    parts: list[str]


class Renderer:
    """Renders with StrictUndefined: a template naming a variable nobody supplies fails loudly."""

    def __init__(self, rules: Rules, directory: Path = TEMPLATES_DIR):
        self.rules = rules
        self.env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.available = frozenset(self.env.list_templates(extensions=["j2"]))
        with (directory / "phrases.toml").open("rb") as handle:
            self.phrases = tomllib.load(handle)

    def source(self, template: str, segment: str, language: str) -> str:
        """(template, segment, language) → (template, standard, language) → (…, zh-CN)."""
        for seg, lang in (
            (segment, language),
            (FALLBACK_SEGMENT, language),
            (FALLBACK_SEGMENT, DEFAULT_LANGUAGE),
        ):
            name = f"{template}/{seg}.{lang}.j2"
            if name in self.available:
                return name
        raise LookupError(f"no template {template} for {segment}/{language} or its fallbacks")

    def render(self, template: str, segment: str, language: str, facts: dict) -> Rendered:
        source = self.source(template, segment, language)
        language = source.rsplit(".", 2)[-2]  # the language actually used, after fallback
        text = self.env.get_template(source).render(**self.variables(language, facts))
        body = join_lines(text, language)
        subject = self.phrases["subjects"][language][template]
        return Rendered(source, subject, body, split_sms(body, self.rules.sms_limit(language)))

    def variables(self, language: str, facts: dict) -> dict:
        """Every template gets every variable, so the only failure is a misspelt name."""
        words = {key: table[language] for key, table in self.phrases.items()}
        limits = facts.get("limits") or {}
        reasons = [
            words["reasons"].get(code, words["reasons"]["other"])
            for code in facts.get("reasons") or []
        ]
        return {
            "hotline": self.rules.hotline,
            "amount": money(facts.get("amount")),
            "kind": words["kinds"].get(facts.get("channel") or "other", words["kinds"]["other"]),
            "reasons": list(dict.fromkeys(reasons)) or [words["reasons"]["other"]],
            "sla": duration(self.rules.hold_sla_minutes, language),
            "scam": words["scams"].get(facts.get("purpose") or "other", words["scams"]["other"]),
            "per_transaction": money(limits.get("per_transaction")),
            "daily": money(limits.get("daily")),
            "verification": words["verification"].get(facts.get("verification_method") or "", ""),
            "counter_only": facts.get("verification_method") == "counter_only"
            or limits.get("per_transaction") == "0.00",
        }


def money(amount: str | None) -> str | None:
    """ "80000.00" → "80,000.00", as people read amounts."""
    if amount is None:
        return None
    fen = to_fen(amount)
    whole, cents = from_fen(fen).split(".")
    return f"{int(whole):,}.{cents}"


def duration(minutes: int, language: str) -> str:
    hours, rest = divmod(minutes, 60)
    if language == "zh-CN":
        return f"约{hours}小时" if hours and not rest else f"约{minutes}分钟"
    if hours and not rest:
        return f"about {hours} hour{'s' if hours > 1 else ''}"
    return f"about {minutes} minutes"


def join_lines(text: str, language: str) -> str:
    """Templates keep one sentence group per line; a message is one paragraph."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return ("" if language == "zh-CN" else " ").join(lines)


def split_sms(body: str, limit: int) -> list[str]:
    """The body as it fits in SMS parts of `limit` characters, each numbered "(i/n)".

    Characters are counted (a Chinese character is one), the marker counts too, and a word,
    an amount or a phone number is never cut in two unless it alone exceeds a part.
    """
    if len(body) <= limit:
        return [body]
    count = 2
    while True:
        room = limit - len(f"({count}/{count})")
        chunks = _pack(body, room)
        if len(chunks) <= count and len(str(len(chunks))) == len(str(count)):
            total = len(chunks)
            return [f"({i}/{total}){chunk}" for i, chunk in enumerate(chunks, 1)]
        count = max(count + 1, len(chunks))


def _pack(body: str, room: int) -> list[str]:
    chunks, current = [], ""
    for token in _TOKENS.findall(body):
        while len(token) > room:  # longer than a whole part: cut it, nothing else fits
            if current.strip():
                chunks.append(current.strip())
            chunks.append(token[:room])
            token, current = token[room:], ""
        if len(current) + len(token) > room:
            if current.strip():
                chunks.append(current.strip())
            current = "" if token.isspace() else token
        else:
            current += token
    if current.strip():
        chunks.append(current.strip())
    return chunks
