"""Charts as inline SVG drawn on the server: no JavaScript, no CDN, readable on a phone.

Pure functions: the caller passes every word already translated and gets Markup back. Every
label is escaped here, every chart has a role, a title and a legend, and every colour has at
least 4.5:1 contrast against white (WCAG AA even for text). Sizes are in viewBox units, so a
chart scales to its container; exact numbers are left to the data table beside it.
"""

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#8a4b00", "#912b88", "#003078", "#505a5f")
TEXT, MUTED, GRID = "#0b0c0c", "#505a5f", "#b1b4b6"
# About the width a chart gets on a phone or in a dashboard column, so text stays ~14 px.
WIDTH, FONT, LEGEND_ROW, LINE = 400, 14, 24, 16
MAX_X_LABELS = 6
LABEL_WIDTH = 160  # a bar's label wraps onto a second line past this


@dataclass(frozen=True)
class Series:
    """One named set of values, one per category, drawn in one colour."""

    name: str
    values: tuple[float, ...]
    colour: str


def series(named: Sequence[tuple[str, Sequence[float]]]) -> list[Series]:
    """Series in palette order (cycling past eight, though no dashboard chart needs that)."""
    return [
        Series(str(name), tuple(values), PALETTE[index % len(PALETTE)])
        for index, (name, values) in enumerate(named)
    ]


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def number(value: float) -> str:
    """A value as a label: whole numbers plain, others to one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _text(x: float, y: float, content: str, anchor: str = "start", size=FONT, **extra) -> str:
    # class_ and font_weight become class and font-weight.
    attributes = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{value}"' for key, value in extra.items()
    )
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}"'
        f' fill="{TEXT}"{attributes}>{escape(content)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, colour: str, value, tip: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" fill="{colour}"'
        f' stroke="#fff" stroke-width="1" data-value="{escape(number(value))}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _svg(title: str, height: float, body: list[str], kind: str) -> Markup:
    ident = "chart-" + hashlib.sha1(f"{kind}{title}".encode()).hexdigest()[:10]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" role="img"'
        f' aria-labelledby="{ident}" class="chart chart-{kind}" font-family="inherit">'
        f'<title id="{ident}">{escape(title)}</title>{"".join(body)}</svg>'
    )


def _legend(entries: Sequence[tuple[str, str]], y: float = 0) -> tuple[list[str], float]:
    """Swatches and names, wrapped over rows; returns the markup and the height it takes."""
    body, x, row = ['<g class="legend">'], 0.0, 0
    for name, colour in entries:
        width = 24 + _text_width(name)
        if x and x + width > WIDTH:
            x, row = 0.0, row + 1
        top = y + row * LEGEND_ROW
        body.append(f'<rect x="{_n(x)}" y="{_n(top + 4)}" width="14" height="14" fill="{colour}"/>')
        body.append(_text(x + 20, top + 16, name))
        x += width + 16
    body.append("</g>")
    return body, (row + 1) * LEGEND_ROW + 8


def _char_width(char: str) -> float:
    """A rough width: CJK glyphs are square, Latin ones about half as wide."""
    return FONT if ord(char) > 0x2E80 else FONT * 0.6


def _text_width(text: str) -> float:
    return sum(map(_char_width, text))


def _fitting(text: str, width: float) -> int:
    """How many leading characters of `text` fit in `width`."""
    used = 0.0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > width:
            return index
    return len(text)


def wrapped(text: str, width: float = LABEL_WIDTH) -> list[str]:
    """At most two lines: broken at a space if there is one (Chinese breaks anywhere), and
    what still does not fit ends in an ellipsis; the data table has the whole label."""
    if _text_width(text) <= width:
        return [text]
    cut = _fitting(text, width)
    space = text.rfind(" ", 0, cut + 1)
    cut = space if space > 0 else cut
    first, rest = text[:cut].rstrip(), text[cut:].lstrip()
    if _text_width(rest) > width:
        rest = rest[: _fitting(rest, width - FONT)] + "…"
    return [first, rest]


def _lines(x: float, middle: float, lines: list[str], anchor: str) -> str:
    top = middle - LINE * (len(lines) - 1) / 2
    spans = "".join(
        f'<tspan x="{_n(x)}" y="{_n(top + LINE * index)}">{escape(line)}</tspan>'
        for index, line in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" font-size="{FONT}" fill="{TEXT}">{spans}</text>'


def empty_chart(title: str, message: str, kind: str = "empty") -> Markup:
    """The readable 'no data' state: the chart's frame with a sentence in it."""
    body = [
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="78" fill="none" stroke="{MUTED}"'
        ' stroke-dasharray="4 4"/>',
        _text(WIDTH / 2, 46, message, "middle", class_="no-data"),
    ]
    return _svg(title, 80, body, kind)


def bar_chart(
    title: str,
    categories: Sequence[str],
    bars: Sequence[Series],
    empty: str,
    value_label: Callable[[float], str] = number,
) -> Markup:
    """Horizontal bars, one group per category, one bar per series, lengths in proportion."""
    top = max((value for bar in bars for value in bar.values), default=0)
    if not categories or top <= 0:
        return empty_chart(title, empty, "bars")
    body, y = _legend([(bar.name, bar.colour) for bar in bars])
    labels = [wrapped(category) for category in categories]
    label_width = max(_text_width(line) for lines in labels for line in lines) + 12
    bar_height, plot = 18, WIDTH - label_width - 40
    for index, category in enumerate(categories):
        group = len(bars) * (bar_height + 2)
        row = max(group, LINE * len(labels[index]) + 4)  # room for a two-line label
        body.append(_lines(label_width - 8, y + row / 2 + 5, labels[index], "end"))
        y += (row - group) / 2
        for bar in bars:
            value = bar.values[index]
            tip = f"{category} · {bar.name}: {value_label(value)}"
            body.append(
                _rect(label_width, y, plot * value / top, bar_height, bar.colour, value, tip)
            )
            body.append(_text(label_width + plot * value / top + 6, y + 14, value_label(value)))
            y += bar_height + 2
        y += (row - group) / 2 + 14
    return _svg(title, y, body, "bars")


def _nice_ceiling(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at or above the largest value."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


@dataclass(frozen=True)
class _Plot:
    """A column plot's frame: where the columns stand and how tall a value is."""

    top: float
    height: float
    left: float
    slot: float
    axis_top: float

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - value / self.axis_top)


def _frame(labels: Sequence[str], y: float, axis_top: float, tick: Callable) -> tuple:
    plot = _Plot(y + 8, 160, 44, (WIDTH - 44 - 18) / len(labels), axis_top)
    body = []
    for value in (0, axis_top / 2, axis_top):
        line_y = plot.y(value)
        colour = MUTED if value == 0 else GRID
        body.append(
            f'<line x1="{plot.left}" x2="{WIDTH}" y1="{_n(line_y)}" y2="{_n(line_y)}"'
            f' stroke="{colour}" stroke-width="1"/>'
        )
        body.append(_text(plot.left - 6, line_y + 5, tick(value), "end"))
    step = math.ceil(len(labels) / MAX_X_LABELS)
    for index, label in enumerate(labels):
        if (len(labels) - 1 - index) % step == 0:  # counted back from the last day, always shown
            x = plot.left + plot.slot * (index + 0.5)
            body.append(_text(x, plot.top + plot.height + 20, label, "middle"))
    return plot, body, plot.top + plot.height + 32


def stacked_columns(
    title: str, labels: Sequence[str], stacks: Sequence[Series], empty: str
) -> Markup:
    """One column per label (a day), its series stacked bottom-up in legend order."""
    totals = [sum(stack.values[i] for stack in stacks) for i in range(len(labels))]
    if not labels or max(totals, default=0) <= 0:
        return empty_chart(title, empty, "stacked")
    body, y = _legend([(stack.name, stack.colour) for stack in stacks])
    plot, frame, height = _frame(labels, y, _nice_ceiling(max(totals)), number)
    body += frame
    width = plot.slot * 0.7
    for index, label in enumerate(labels):
        x, base = plot.left + plot.slot * index + plot.slot * 0.15, 0.0
        for stack in stacks:
            value = stack.values[index]
            if value:
                top = plot.y(base + value)
                tip = f"{label} · {stack.name}: {number(value)}"
                body.append(_rect(x, top, width, plot.y(base) - top, stack.colour, value, tip))
                base += value
    return _svg(title, height, body, "stacked")


def percent_columns(
    title: str,
    labels: Sequence[str],
    percents: Sequence[float | None],
    legend: tuple[str, str],
    empty: str,
) -> Markup:
    """A column per label on a fixed 0–100 % axis; None (nothing to measure) is a grey dash.

    `legend` names the columns and the dash, in that order.
    """
    if not labels or all(percent is None for percent in percents):
        return empty_chart(title, empty, "percent")
    body, y = _legend([(legend[0], PALETTE[0]), (legend[1], MUTED)])
    plot, frame, height = _frame(labels, y, 100, lambda value: f"{number(value)}%")
    body += frame
    width = plot.slot * 0.7
    for index, (label, percent) in enumerate(zip(labels, percents, strict=True)):
        x = plot.left + plot.slot * index + plot.slot * 0.15
        if percent is None:
            tip = f"{label} · {legend[1]}"
            body.append(_rect(x, plot.y(0) - 3, width, 3, MUTED, 0, tip))
            continue
        tip = f"{label} · {legend[0]}: {number(percent)}%"
        body.append(
            _rect(x, plot.y(percent), width, plot.y(0) - plot.y(percent), PALETTE[0], percent, tip)
        )
    return _svg(title, height, body, "percent")


def stat(title: str, figures: Sequence[tuple[str, str | None]], empty: str) -> Markup:
    """Big numbers side by side, each with its label under it; all missing is 'no data'."""
    if not figures or all(value is None for _, value in figures):
        return empty_chart(title, empty, "stat")
    slot = WIDTH / len(figures)
    body = []
    for index, (label, value) in enumerate(figures):
        x = slot * (index + 0.5)
        shown = value if value is not None else "–"
        body.append(_text(x, 56, shown, "middle", size=44, font_weight="700", class_="stat-value"))
        body.append(_text(x, 86, label, "middle"))
    return _svg(title, 100, body, "stat")
