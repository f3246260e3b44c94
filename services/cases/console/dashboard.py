"""The supervisors' dashboard: the figures of services.cases.statistics, drawn as inline SVG."""

from flask import Blueprint, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from services.cases import statistics
from services.cases.console import charts
from services.cases.words import label
from shared.web.pages.session import page_requires
from shared.web.state import web_state

DASHBOARD_ROLES = ("supervisor", "auditor", "investigator")  # investigators read it too
AGE_LABELS = {
    "under_1h": _l("Under 1 hour"),
    "1h_to_4h": _l("1 to 4 hours"),
    "4h_to_24h": _l("4 to 24 hours"),
    "over_1d": _l("Over 1 day"),
}


def labels(figures: dict) -> dict:
    """The words for the codes the figures carry, in the page's language."""
    return {
        "ages": {code: str(text) for code, text in AGE_LABELS.items()},
        "queues": {code: label("queue", code) for code in figures["open_by_queue"]["queues"]},
        "outcomes": {
            code: label("outcome", code) for code in figures["police_outcomes"]["outcomes"]
        },
        "reasons": {code: label("reason", code) for code in figures["holds_by_reason"]["reasons"]},
    }


def _minutes(value: float | None) -> str | None:
    return None if value is None else gettext("%(minutes)s min", minutes=charts.number(value))


def draw(figures: dict, words: dict) -> dict[str, Markup]:
    """One chart per figure, keyed as the page's data-chart attributes are."""
    no_data = gettext("No data yet")
    days = [day[5:] for day in figures["days"]]  # MM-DD under the columns; the table has years
    open_cases = figures["open_by_queue"]
    holds = figures["holds_by_reason"]
    outcomes = figures["police_outcomes"]
    waits = figures["hold_to_confirmation"]
    return {
        "open_by_queue": charts.bar_chart(
            gettext("Open cases by queue and age"),
            [words["ages"][bucket] for bucket in open_cases["buckets"]],
            charts.series(
                [
                    (words["queues"][queue], [by_age[b] for b in open_cases["buckets"]])
                    for queue, by_age in open_cases["queues"].items()
                ]
            ),
            gettext("No open cases"),
        ),
        "sla_compliance": charts.percent_columns(
            gettext("Cases resolved within their SLA, per day"),
            days,
            [day["percent"] for day in figures["sla_compliance"]["days"]],
            (gettext("Resolved within SLA (%)"), gettext("No case resolved that day")),
            no_data,
        ),
        "holds_by_reason": charts.stacked_columns(
            gettext("Holds per day by reason"),
            days,
            charts.series(
                [
                    (
                        words["reasons"][reason],
                        [day["by_reason"].get(reason, 0) for day in holds["days"]],
                    )
                    for reason in holds["reasons"]
                ]
            ),
            no_data,
        ),
        "police_outcomes": charts.bar_chart(
            gettext("Police outcomes"),
            [words["outcomes"][outcome] for outcome in outcomes["outcomes"]],
            charts.series(
                [
                    (
                        gettext("Last %(days)d days", days=statistics.WINDOW_DAYS),
                        list(outcomes["last_30_days"].values()),
                    ),
                    (gettext("All time"), list(outcomes["all_time"].values())),
                ]
            ),
            gettext("No police answers yet"),
        ),
        "hold_to_confirmation": charts.stat(
            gettext("Minutes from hold to police confirmation, last 30 days"),
            [
                (gettext("Median"), _minutes(waits["median_minutes"])),
                (gettext("90th percentile"), _minutes(waits["p90_minutes"])),
            ],
            gettext("No police answers in the last 30 days"),
        ),
    }


def register_dashboard(blp: Blueprint) -> None:
    @blp.get("/dashboard")
    @page_requires(*DASHBOARD_ROLES)
    def dashboard():
        """Open work by queue and age, SLA compliance, holds, and what the police answered."""
        state = web_state()
        figures = statistics.dashboard(state.engine, state.clock(), state.settings.timezone)
        words = labels(figures)
        return render_template(
            "console/dashboard.html", figures=figures, words=words, charts=draw(figures, words)
        )
