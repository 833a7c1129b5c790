"""The weekly report: every outlet's (and the company's) summary of the week just ended, as PDF
and Excel, stored through Django's storage API and announced to the unit's manager.

**Who gets one.** Each outlet with an active outlet manager (to them), and the company (to its
department heads). Regions have no manager role; their heads read the company report.

**When.** ``send_weekly_reports`` runs on the ticker (hourly, ``manyi.periodic``); it reports on
the last complete week (Monday 00:00 to Monday 00:00, site time). A :class:`WeeklyReport` row
per unit and week is claimed under a row lock before anything is built, and a row already sent
is skipped: a second run, a ticker restart or two tickers never send a report twice.

**The figures** of a unit's week: the cockpit's indicators against the week before
(``manyi.insights.queries.cockpit``: CSI, NPS, CSAT, complaint rate, SLA compliance, return
visits, audit score, five-star level, open actions), loop closure (``manyi.insights.loop``:
signals, share closed, median days, still open — per kind), work orders closed, survey
responses and the unhappy among them, complaints received. They are read through the same
functions as the pages, with the reach of a department head of the company (a report is a
company document; who may download it is checked by the download view).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from manyi import clock
from manyi.complaints.analytics import Column, Table
from manyi.complaints.models import Complaint
from manyi.insights import loop
from manyi.insights.exports_analysis import cell_text, workbook
from manyi.insights.models_loop import WeeklyReport
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.org.scopes import ROLE_PERMS, Scope
from manyi.surveys.models import SurveyResponse
from manyi.workorders.models import WorkOrder

KIND = "weekly_report"


def week_start(moment: dt.datetime) -> dt.date:
    """The Monday of the week ``moment`` falls in (site time)."""
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def last_complete_week(now: dt.datetime | None = None) -> dt.date:
    """The Monday of the last week that has ended."""
    return week_start(now or clock.now()) - dt.timedelta(days=7)


def _bounds(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(week, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=7)


def company_scope(company: Unit) -> Scope:
    """What a department head of ``company`` sees (the reach of the report's figures)."""
    return Scope(
        user_id=None,
        staff_id=None,
        role=Role.DEPARTMENT_HEAD,
        company_id=company.pk,
        unit_id=company.pk,
        unit_path=company.path,
        perms=ROLE_PERMS[Role.DEPARTMENT_HEAD],
    )


@dataclass
class Summary:
    """A unit's week in figures."""

    unit: Unit
    week: dt.date
    loop_total: loop.Closure
    loop_by_kind: list[loop.Closure]
    orders_closed: int
    responses: int
    unhappy: int
    complaints: int
    indicators: list = field(default_factory=list)

    def tables(self) -> list[Table]:
        """The summary as tables (the Excel sheets and the PDF's tables)."""
        indicators = Table(
            "indicators",
            _("Indicators"),
            (
                Column("label", _("Indicator")),
                Column("value", _("This week")),
                Column("previous", _("The week before")),
            ),
            [
                {
                    "label": str(i.label),
                    "value": number_text(i.value, i.fmt),
                    "previous": number_text(i.previous, i.fmt),
                }
                for i in self.indicators
            ],
        )
        figures = Table(
            "week",
            _("The week"),
            (Column("label", _("Figure")), Column("value", _("Value"))),
            [
                {"label": _("Work orders closed"), "value": self.orders_closed},
                {"label": _("Survey answers"), "value": self.responses},
                {"label": _("Unhappy survey answers"), "value": self.unhappy},
                {"label": _("Complaints received"), "value": self.complaints},
                {"label": _("Negative signals"), "value": self.loop_total.signals},
                {
                    "label": _("Share closed"),
                    "value": cell_text(self.loop_total.share, "percent"),
                },
                {
                    "label": _("Median days to a finished action"),
                    "value": cell_text(self.loop_total.median_days, "number"),
                },
                {"label": _("Still open"), "value": self.loop_total.open},
            ],
        )
        kinds = Table(
            "loop",
            _("Loop closure"),
            (
                Column("label", _("Signal")),
                Column("signals", _("Signals"), "int"),
                Column("closed", _("Closed"), "int"),
                Column("share", _("Share closed"), "percent"),
                Column("median_days", _("Median days to action"), "number"),
                Column("open", _("Open"), "int"),
            ),
            [
                {
                    "label": c.label,
                    "signals": c.signals,
                    "closed": c.closed,
                    "share": c.share,
                    "median_days": c.median_days,
                    "open": c.open,
                }
                for c in self.loop_by_kind
            ],
        )
        return [indicators, figures, kinds] if self.indicators else [figures, kinds]


def summary(unit: Unit, week: dt.date) -> Summary:
    """The figures of ``unit``'s subtree for the week starting ``week`` (a few grouped queries)."""
    company = unit if unit.kind == UnitKind.COMPANY else Unit.objects.get(pk=unit.company_id)
    scope = company_scope(company)
    start, end = _bounds(week)
    sub = Unit.objects.filter(path__startswith=unit.path).values("pk")
    report = loop.report(
        scope, loop.Period(company, start, end, unit=None if unit.pk == company.pk else unit)
    )
    orders = WorkOrder.objects.filter(
        case__company_id=company.pk,
        case__unit__in=sub,
        case__closed_at__gte=start,
        case__closed_at__lt=end,
    ).count()
    months = {timezone.localtime(start).date().replace(day=1)}
    months.add(timezone.localtime(end - dt.timedelta(seconds=1)).date().replace(day=1))
    survey = SurveyResponse.objects.filter(
        company_id=company.pk,
        month__in=months,  # response_company_month_idx narrows; the moment filters the rest
        submitted_at__gte=start,
        submitted_at__lt=end,
        unit__in=sub,
    ).aggregate(n=Count("pk"), unhappy=Count("pk", filter=Q(unhappy=True)))
    complaints = Complaint.objects.filter(
        company_id=company.pk,
        received_month__in=months,
        case__opened_at__gte=start,
        case__opened_at__lt=end,
        case__unit__in=sub,
        merged_into__isnull=True,
    ).count()
    from manyi.insights.queries import cockpit

    board = cockpit(scope, unit=unit.pk, start=week, end=week + dt.timedelta(days=6))
    return Summary(
        indicators=board.indicators,
        unit=unit,
        week=week,
        loop_total=report.total,
        loop_by_kind=report.by_kind,
        orders_closed=orders,
        responses=survey["n"],
        unhappy=survey["unhappy"],
        complaints=complaints,
    )


# -- the files ------------------------------------------------------------------------------------


def _title(s: Summary) -> str:
    end = s.week + dt.timedelta(days=6)
    return _("Weekly report of %(unit)s, %(start)s to %(end)s") % {
        "unit": s.unit.name,
        "start": f"{s.week:%Y-%m-%d}",
        "end": f"{end:%Y-%m-%d}",
    }


def number_text(value: float | None, fmt: str) -> str:
    """An indicator's value as the cockpit shows it."""
    if value is None:
        return "—"
    if fmt == "percent":
        return f"{value:.1f}%"
    if fmt == "score":
        return f"{value:+.0f}" if value else "0"
    if fmt == "rate":
        return f"{value:.2f}"
    if fmt == "stars":
        return f"{value:.0f}★"
    if fmt == "count":
        return f"{value:,.0f}"
    return f"{value:.1f}"


def build_xlsx(s: Summary) -> bytes:
    """The summary as an Excel workbook (one sheet per table)."""
    return workbook(s.tables(), [(_("Unit"), s.unit.name), (_("Week starting"), f"{s.week}")])


def build_pdf(s: Summary) -> bytes:
    """The summary as a one-page A4 PDF (ReportLab, the CJK font of the work-order forms)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    from manyi.workorders.pdf import _BODY, _GRID, _HEADING, _TITLE

    def p(text: Any, style=_BODY) -> Paragraph:
        return Paragraph(escape(str(text if text is not None else "")), style)

    out = BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=_title(s)
    )
    story: list[Any] = [p(_title(s), _TITLE), Spacer(1, 6 * mm)]
    for table in s.tables():
        story.append(p(table.title, _HEADING))
        data = [[p(c.label) for c in table.columns]]
        for row in table.rows:
            data.append([p(cell_text(row.get(c.key), c.kind)) for c in table.columns])
        grid = PdfTable(data, repeatRows=1)
        grid.setStyle(_GRID)
        grid.setStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0"))])
        story += [grid, Spacer(1, 4 * mm)]
    generated = f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M}"
    story.append(p(_("Generated at %(when)s") % {"when": generated}))
    doc.build(story)
    return out.getvalue()


# -- sending --------------------------------------------------------------------------------------


def recipients_for(unit: Unit) -> list:
    """The people a unit's report goes to: its outlet managers, or the company's heads."""
    role = Role.DEPARTMENT_HEAD if unit.kind == UnitKind.COMPANY else Role.OUTLET_MANAGER
    return [
        s.user
        for s in Staff.objects.filter(unit=unit, role=role, user__is_active=True).select_related(
            "user"
        )
    ]


def units_to_report(company: Unit) -> list[Unit]:
    """The company and its active outlets that have an outlet manager."""
    managed = Staff.objects.filter(
        company=company, role=Role.OUTLET_MANAGER, user__is_active=True
    ).values("unit_id")
    outlets = Unit.objects.filter(
        company=company, kind=UnitKind.OUTLET, is_active=True, pk__in=managed
    ).order_by("path")
    return [company, *outlets]


def send_report(unit: Unit, week: dt.date) -> WeeklyReport | None:
    """Build, store and announce ``unit``'s report of ``week`` once; None when it was already
    sent (or is being sent by another run that holds the row)."""
    company_id = unit.pk if unit.kind == UnitKind.COMPANY else unit.company_id
    try:
        with transaction.atomic():
            report, _created = WeeklyReport.objects.get_or_create(
                unit=unit, week=week, defaults={"company_id": company_id}
            )
    except IntegrityError:  # another run created it first: it sends
        return None
    with transaction.atomic():
        report = WeeklyReport.objects.select_for_update().get(pk=report.pk)
        if report.sent_at is not None:
            return None
        # Files are the site's language, whoever reads them (a report is shared).
        from django.conf import settings

        with translation.override(settings.LANGUAGE_CODE):
            s = summary(unit, week)
            base = f"insights/weekly/{company_id}/{week:%Y%m%d}-{unit.pk}"
            report.pdf = default_storage.save(f"{base}.pdf", ContentFile(build_pdf(s)))
            report.xlsx = default_storage.save(f"{base}.xlsx", ContentFile(build_xlsx(s)))
            users = recipients_for(unit)
            from manyi.notify.actions import notify

            # Inbox and e-mail (the kind's default channels) to the managers, and the unit's
            # WeCom group robot when it has one; each with the link to the PDF.
            report.recipients = notify(
                users=users,
                unit=unit,
                kind=KIND,
                title=_title(s),
                body=_("Signals %(n)s, closed %(share)s, still open %(open)s.")
                % {
                    "n": s.loop_total.signals,
                    "share": cell_text(s.loop_total.share, "percent"),
                    "open": s.loop_total.open,
                },
                url=reverse("insights:weekly-file", args=[report.pk, "pdf"]),
            )
        report.sent_at = clock.now()
        report.save(update_fields=["pdf", "xlsx", "recipients", "sent_at"])
    return report


def send_all(now: dt.datetime | None = None) -> int:
    """Every company's reports of the last complete week; returns how many were sent."""
    week = last_complete_week(now)
    sent = 0
    for company in Unit.objects.filter(kind=UnitKind.COMPANY, is_active=True).order_by("pk"):
        for unit in units_to_report(company):
            if send_report(unit, week) is not None:
                sent += 1
    return sent


@task()
def send_weekly_reports() -> int:
    """The ticker's hourly run: the last week's reports not yet sent (idempotent)."""
    return send_all()
