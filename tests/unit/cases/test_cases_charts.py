"""The dashboard's SVG charts: escaped, proportional, legible, and readable when empty."""

import re

import pytest
from markupsafe import Markup

from services.cases.console import charts

HOSTILE = '<script>alert("x")</script> & co'


def bars(svg: str) -> list[dict]:
    """Every data rectangle with its numbers, in drawing order."""
    found = []
    for attributes in re.findall(r"<rect ([^>]*data-value[^>]*)>", svg):
        values = dict(re.findall(r'([\w-]+)="([^"]*)"', attributes))
        found.append({key: values[key] for key in ("x", "y", "width", "height", "fill")})
        found[-1]["value"] = float(values["data-value"])
    return found


def contrast_with_white(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def every_chart() -> list[Markup]:
    two = charts.series([("Investigators", [1, 2, 0]), ("Supervisors", [0, 1, 3])])
    return [
        charts.bar_chart("Open", ["<1 h", "1–4 h", "> 1 day"], two, "No data"),
        charts.stacked_columns("Holds", ["03-01", "03-02", "03-03"], two, "No data"),
        charts.percent_columns("SLA", ["03-01", "03-02"], [50.0, None], ("Within", "None"), "-"),
        charts.stat("Minutes", [("Median", "45 min"), ("90th percentile", "126 min")], "-"),
    ]


def test_every_label_is_escaped():
    stacks = charts.series([(HOSTILE, [1])])
    drawn = [
        charts.bar_chart(HOSTILE, [HOSTILE], stacks, HOSTILE),
        charts.stacked_columns(HOSTILE, [HOSTILE], stacks, HOSTILE),
        charts.percent_columns(HOSTILE, [HOSTILE], [20.0], (HOSTILE, HOSTILE), HOSTILE),
        charts.stat(HOSTILE, [(HOSTILE, HOSTILE)], HOSTILE),
        charts.empty_chart(HOSTILE, HOSTILE),
    ]
    for svg in drawn:
        assert "<script" not in svg
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in svg


def test_horizontal_bars_are_as_long_as_their_values():
    drawn = bars(
        charts.bar_chart("Outcomes", ["a", "b", "c"], charts.series([("n", [1, 2, 4])]), "-")
    )
    widths = [float(bar["width"]) for bar in drawn]
    assert [bar["value"] for bar in drawn] == [1, 2, 4]
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01)
    assert widths[2] == pytest.approx(4 * widths[0], rel=0.01)
    assert len({bar["x"] for bar in drawn}) == 1  # all from one baseline


def test_stacked_columns_stack_their_values_on_one_scale():
    stacks = charts.series([("RISKY_PURPOSE", [2, 0]), ("ELDERLY_LARGE_CASH", [1, 3])])
    drawn = bars(charts.stacked_columns("Holds", ["03-01", "03-02"], stacks, "-"))
    assert [bar["value"] for bar in drawn] == [2, 1, 3]  # a zero draws nothing
    heights = [float(bar["height"]) for bar in drawn]
    assert heights[0] == pytest.approx(2 * heights[1], rel=0.01)
    assert heights[2] == pytest.approx(3 * heights[1], rel=0.01)
    first_day_top = float(drawn[1]["y"])
    assert first_day_top + heights[1] == pytest.approx(float(drawn[0]["y"]), abs=0.1)
    assert drawn[0]["fill"] != drawn[1]["fill"]


def test_percent_columns_share_a_fixed_hundred_percent_axis():
    svg = charts.percent_columns("SLA", ["a", "b", "c"], [100.0, 25.0, None], ("in", "none"), "-")
    full, quarter, missing = bars(svg)
    assert float(quarter["height"]) == pytest.approx(float(full["height"]) / 4, rel=0.01)
    assert missing["fill"] == charts.MUTED and float(missing["height"]) < 5
    assert ">100%</text>" in svg and ">0%</text>" in svg


def test_every_chart_is_an_accessible_scalable_image_with_a_legend():
    for svg in every_chart():
        assert isinstance(svg, Markup)
        assert re.match(r'<svg [^>]*viewBox="0 0 \d+ \d+(\.\d)?" role="img"', svg)
        assert 'width="' not in svg.split(">", 1)[0]  # sized by its container, not in pixels
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        assert f'<title id="{labelled_by}">' in svg
        assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert ">Investigators</text>" in every_chart()[0] and ">Supervisors</text>" in every_chart()[1]
    assert ">Within</text>" in every_chart()[2]


def test_every_colour_has_aa_contrast_against_white():
    fills = {fill for svg in every_chart() for fill in re.findall(r'fill="(#[0-9a-f]{6})"', svg)}
    assert fills >= {charts.PALETTE[0], charts.PALETTE[1], charts.TEXT}
    assert all(contrast_with_white(fill) >= 4.5 for fill in fills | set(charts.PALETTE))


@pytest.mark.parametrize(
    "drawn",
    [
        charts.bar_chart("Open", ["<1 h"], charts.series([("q", [0])]), "No data yet"),
        charts.bar_chart("Open", [], [], "No data yet"),
        charts.stacked_columns("Holds", ["03-01"], [], "No data yet"),
        charts.stacked_columns("Holds", [], [], "No data yet"),
        charts.percent_columns("SLA", ["03-01"], [None], ("in", "none"), "No data yet"),
        charts.stat("Minutes", [("Median", None)], "No data yet"),
    ],
)
def test_no_data_is_said_in_words(drawn):
    assert 'role="img"' in drawn and "<title" in drawn
    assert re.search(r'<text [^>]*class="no-data"[^>]*>No data yet</text>', drawn)
    assert not bars(drawn)


def test_a_stat_shows_its_numbers_big_with_their_labels():
    svg = charts.stat("Minutes", [("Median", "45 min"), ("90th percentile", None)], "-")
    assert re.search(r'font-size="44"[^>]*class="stat-value">45 min</text>', svg)
    assert ">90th percentile</text>" in svg and ">–</text>" in svg


def test_day_labels_thin_out_but_the_last_day_is_always_named():
    days = [f"03-{day:02d}" for day in range(2, 32)]
    svg = charts.stacked_columns("Holds", days, charts.series([("r", [1] * 30)]), "-")
    shown = [label for label in days if f">{label}</text>" in svg]
    assert shown[-1] == "03-31" and 4 <= len(shown) <= charts.MAX_X_LABELS


def test_a_long_bar_label_wraps_onto_two_lines_and_then_ends_in_an_ellipsis():
    assert charts.wrapped("Cleared") == ["Cleared"]
    assert charts.wrapped("Large cash for an elderly customer") == [
        "Large cash for an",
        "elderly customer",
    ]
    chinese = charts.wrapped("警方核实后确认客户是电信诈骗的受害者")
    assert len(chinese) == 2 and "".join(chinese) == "警方核实后确认客户是电信诈骗的受害者"
    endless = charts.wrapped("word " * 40)
    assert len(endless) == 2 and endless[1].endswith("…")
    svg = charts.bar_chart(
        "t", ["Large cash for an elderly customer"], charts.series([("n", [2])]), "-"
    )
    assert ">Large cash for an</tspan>" in svg and ">elderly customer</tspan>" in svg
