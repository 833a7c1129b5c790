"""The analyses' figures as tables: what the pages show, the API returns and Excel receives."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.complaints.analytics import Column, Filters, Table
from manyi.insights import estimates, gap, loop, voice


def period_of(company, f: Filters, person=None) -> loop.Period:
    """The loop-closure period of whole months ``f``."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(f.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(f.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return loop.Period(company, start, end, unit=f.unit, person=person)


def _signals_url(f: Filters, **params) -> str:
    query = {**f.query(), **{k: v for k, v in params.items() if v not in (None, "")}}
    return f"{reverse('insights:loop-signals')}?{urlencode(query)}"


CLOSURE_COLUMNS = (
    Column("label", _("Group")),
    Column("signals", _("Signals"), "int"),
    Column("owner_in_time", _("Owner in time"), "int"),
    Column("finished", _("Action finished"), "int"),
    Column("closed", _("Closed"), "int"),
    Column("share", _("Share closed"), "percent"),
    Column("median_days", _("Median days to action"), "number"),
    Column("open", _("Open"), "int"),
)


def closure_rows(groups: list[loop.Closure], f: Filters, param: str) -> list[dict]:
    rows = []
    for c in groups:
        key = "" if c.key is None else c.key
        if param == "person" and c.key is None:
            key = "none"
        link = {param: key} if param else {}
        rows.append(
            {
                "key": c.key,
                "label": c.label,
                "signals": c.signals,
                "owner_in_time": c.owner_in_time,
                "finished": c.finished,
                "closed": c.closed,
                "share": c.share,
                "median_days": c.median_days,
                "open": c.open,
                "signals_href": _signals_url(f, state="all", **link),
                "open_href": _signals_url(f, state="open", **link),
                "closed_href": _signals_url(f, state="closed", **link),
            }
        )
    return rows


def loop_tables(r: loop.LoopReport, f: Filters) -> dict[str, Table]:
    return {
        "by_kind": Table(
            "by_kind", _("By kind of signal"), CLOSURE_COLUMNS, closure_rows(r.by_kind, f, "kind")
        ),
        "by_unit": Table(
            "by_unit", _("By outlet"), CLOSURE_COLUMNS, closure_rows(r.by_unit, f, "outlet")
        ),
        "by_person": Table(
            "by_person", _("By person"), CLOSURE_COLUMNS, closure_rows(r.by_person, f, "person")
        ),
    }


SIGNAL_COLUMNS = (
    Column("kind", _("Signal")),
    Column("title", _("Source record")),
    Column("unit", _("Outlet")),
    Column("person", _("Owner")),
    Column("occurred_at", _("Occurred"), "date"),
    Column("owner_due", _("Owner due"), "date"),
    Column("owner_at", _("Owner at"), "date"),
    Column("finished_at", _("Action finished"), "date"),
)


def signal_table(found: list[loop.Signal], units: dict, people: dict) -> Table:
    rows = [
        {
            "kind": str(loop.KIND_LABELS[s.kind]),
            "title": s.title or f"#{s.ref}",
            "title_href": s.link,
            "unit": units.get(s.unit_id, ""),
            "person": people.get(s.person_id, ""),
            "occurred_at": s.occurred_at,
            "owner_due": s.owner_due,
            "owner_at": s.owner_at,
            "finished_at": s.finished_at,
        }
        for s in found
    ]
    return Table("signals", _("Signals"), SIGNAL_COLUMNS, rows)


def gap_table(r: gap.GapReport) -> Table:
    return Table(
        "gap",
        _("Expectation against perception"),
        (
            Column("name", _("Factor")),
            Column("expectation", _("Expectation (importance)"), "number"),
            Column("perception", _("Perception (score)"), "number"),
            Column("gap", _("Gap"), "signed"),
            Column("perception_n", _("Answers"), "int"),
        ),
        [
            {
                "code": row.code,
                "name": row.name,
                "expectation": row.expectation,
                "perception": row.perception,
                "gap": row.gap,
                "perception_n": row.perception_n,
            }
            for row in r.rows
        ],
        note=_("Gap = perception − expectation, both 0–100; below zero the outlet falls short."),
    )


def word_of_mouth_tables(w: estimates.WordOfMouth) -> dict[str, Table]:
    c = w.counts
    counts = Table(
        "counts",
        _("Customers of the period"),
        (Column("label", _("Customers")), Column("value", _("Number"), "int")),
        [
            {"label": str(_("Satisfied survey answers")), "value": c.survey_satisfied},
            {"label": str(_("Satisfied return visits")), "value": c.visit_satisfied},
            {"label": str(_("Unhappy survey answers")), "value": c.survey_unhappy},
            {"label": str(_("Unhappy return visits")), "value": c.visit_unhappy},
            {"label": str(_("Complaints received")), "value": c.complaints},
            {"label": str(_("Solved quickly")), "value": c.solved_fast},
            {"label": str(_("Solved later")), "value": c.solved_slow},
        ],
    )
    lines = Table(
        "estimate",
        _("The estimate"),
        (
            Column("label", _("Estimate")),
            Column("formula", _("Arithmetic")),
            Column("value", _("Value"), "number"),
            Column("source", _("Source")),
        ),
        [
            {
                "key": line.key,
                "label": line.label,
                "formula": line.formula,
                "value": line.value,
                "source": line.source,
            }
            for line in w.lines
        ],
    )
    coefficients = Table(
        "coefficients",
        _("Coefficients"),
        (
            Column("label", _("Coefficient")),
            Column("value", _("Value")),
            Column("source", _("Source")),
        ),
        [
            {
                "field": co.field,
                "label": str(co.label),
                "value": estimates._num(value),
                "source": str(co.source),
            }
            for co, value in w.coefficients
        ],
    )
    return {"counts": counts, "estimate": lines, "coefficients": coefficients}


TREND_LABELS = {
    "new": _("new"),
    "up": _("up"),
    "down": _("down"),
    "steady": _("steady"),
}


def voice_table(themes: list[voice.Theme], f: Filters, limit: int | None = None) -> Table:
    rows = []
    for t in themes[:limit] if limit else themes:
        survey_href = ""
        if t.survey_item:
            instrument, item = t.survey_item
            query = {**f.query(), "instrument": instrument, "item": item, "word": t.word}
            survey_href = f"{reverse('survey_results:comments')}?{urlencode(query)}"
        complaint_href = ""
        if t.complaints:
            complaint_href = (
                f"{reverse('insights:voice-records')}?{urlencode({**f.query(), 'word': t.word})}"
            )
        rows.append(
            {
                "word": t.word,
                "total": t.total,
                "total_before": t.total_before,
                "change": t.change,
                "trend": str(TREND_LABELS[t.trend]),
                "trend_key": t.trend,
                "surveys": t.surveys,
                "surveys_href": survey_href,
                "complaints": t.complaints,
                "complaints_href": complaint_href,
            }
        )
    return Table(
        "themes",
        _("Themes"),
        (
            Column("word", _("Theme")),
            Column("total", _("Mentions"), "int"),
            Column("total_before", _("Before"), "int"),
            Column("trend", _("Trend")),
            Column("surveys", _("Survey comments"), "int"),
            Column("complaints", _("Complaints"), "int"),
        ),
        rows,
    )
