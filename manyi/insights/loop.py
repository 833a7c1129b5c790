"""Loop closure (issue 8): of the negative signals of a period, how many got an owner in time
and a finished action, and how long that took — per unit and per person.

**No table of its own.** The sources already link each signal to its follow-up, so the signals
are read at query time from them, one indexed query per source (a registry of adapters, each
returning :class:`Signal` rows). A copy kept current by edits in four apps would drift.

- **survey** — a detractor, low-index or "not satisfied" answer, when its follow-up opened.
  Owner in time: the follow-up's case first assigned (its first assignment event) by the
  follow-up's ``due_at`` (a walk-in's follow-up has no case: whoever closed it owned it).
  Finished: the follow-up's case closed (or the follow-up itself, for a walk-in).
- **return_visit** — a work order's return visit "not satisfied" (the case closed). Owner in
  time: the complaint offered from it first contacted within the first-contact SLA (business
  hours from the return visit). Finished: that complaint resolved.
- **complaint** — a complaint received directly (not offered from a return visit or a survey
  follow-up, which are those signals' actions; merged duplicates left out). Owner in time:
  first contact within the policy's business hours (a major one: the shorter SLA). Finished:
  resolved (``resolved_at``).
- **audit** — an audit finding "not met". Owner in time: an action item with an owner planned
  within :data:`AUDIT_OWNER_DAYS`. Finished: an action item done.

A signal is **closed** when it got its owner in time *and* its action is finished (late
actions count as closed; a late owner does not). The share = closed ÷ signals. The median is
over finished signals: calendar days from the signal to the finished action.

Business-hours deadlines (complaints, return visits) need each outlet's calendar, which SQL does
not know: they are computed in Python from the rows of the four queries (a company has a few
thousand signals a year; the page reads one period). Medians likewise (SQLite has no
``percentile_cont``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.cases.models import CaseEvent, EventKind
from manyi.complaints.analytics import calendars_for, percentile
from manyi.complaints.estimates import policy_for
from manyi.complaints.models import Complaint, Severity
from manyi.org.models import Staff, Unit
from manyi.org.scopes import Perm, Scope
from manyi.quality.models import ActionItem, ActionStatus, AuditFinding, FindingKind
from manyi.surveys.models import FollowUp
from manyi.workorders.models import ReturnVisitOutcome, WorkOrder

# No seed gives a deadline for planning an action on a "not met" audit finding: a week is the
# company's assumption (003 P-063: audits confirm and correct, they are followed up).
AUDIT_OWNER_DAYS = 7
DAY = Decimal(86400)


class Kind:
    SURVEY = "survey"
    RETURN_VISIT = "return_visit"
    COMPLAINT = "complaint"
    AUDIT = "audit"


KIND_LABELS = {
    Kind.SURVEY: _("Unhappy survey answer"),
    Kind.RETURN_VISIT: _("Unhappy return visit"),
    Kind.COMPLAINT: _("Complaint"),
    Kind.AUDIT: _("Audit: not met"),
}


@dataclass
class Signal:
    """One negative signal and how it was closed."""

    kind: str
    ref: int  # the source row's id (follow-up, work order case, complaint, finding)
    unit_id: int
    occurred_at: dt.datetime
    person_id: int | None = None  # the owner (staff)
    owner_at: dt.datetime | None = None
    owner_due: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    link: str = ""
    title: str = ""
    # Business-hours SLA still to turn into ``owner_due`` on the outlet's calendar.
    sla_hours: Decimal | None = None

    @property
    def owner_in_time(self) -> bool:
        if self.owner_at is None:
            return False
        return self.owner_due is None or self.owner_at <= self.owner_due

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def closed(self) -> bool:
        return self.owner_in_time and self.finished

    @property
    def days(self) -> float | None:
        """Calendar days from the signal to the finished action."""
        if self.finished_at is None:
            return None
        return max((self.finished_at - self.occurred_at).total_seconds(), 0) / 86400


@dataclass(frozen=True)
class Period:
    """What to read: signals that occurred from ``start`` (inclusive) to ``end`` (exclusive),
    in ``unit``'s subtree (None: all the reader sees), owned by ``person`` (None: anyone)."""

    company: Unit
    start: dt.datetime
    end: dt.datetime
    unit: Unit | None = None
    person: Staff | None = None


def _first_assignment(case_field: str) -> Subquery:
    """When the case named by ``case_field`` first got a responsible person (its first
    assignment event; ``case_event_case_idx`` serves it)."""
    return Subquery(
        CaseEvent.objects.filter(case_id=OuterRef(case_field), kind=EventKind.ASSIGN)
        .order_by("at")
        .values("at")[:1]
    )


def _in_unit(qs, field_name: str, p: Period):
    if p.unit is not None:
        qs = qs.filter(**{f"{field_name}__in": Unit.objects.filter(path__startswith=p.unit.path)})
    return qs


# -- the adapters: one query each -----------------------------------------------------------------


def survey_signals(scope: Scope, p: Period) -> list[Signal]:
    """Unhappy survey answers: their follow-ups (``followup_company_idx`` then the period)."""
    qs = FollowUp.objects.filter(
        company_id=p.company.pk, opened_at__gte=p.start, opened_at__lt=p.end
    )
    qs = _in_unit(scope.filter(qs, unit_field="unit", perm=Perm.VIEW_REPORTS), "unit", p)
    qs = qs.annotate(
        assigned_at=_first_assignment("case_id"),
        finished=Coalesce("closed_at", "case__closed_at"),
        person=Coalesce("case__assignee_id", "closed_by__staff__id"),
    )
    if p.person is not None:
        qs = qs.filter(person=p.person.pk)
    rows = qs.values_list(
        "pk",
        "unit_id",
        "opened_at",
        "due_at",
        "assigned_at",
        "closed_at",
        "finished",
        "person",
        "case_id",
        "response_id",
        "case__number",
    )
    signals = []
    for row in rows:
        pk, unit_id, opened, due, assigned, closed, finished, person, case_id = row[:9]
        response_id, number = row[9], row[10]
        signals.append(
            Signal(
                Kind.SURVEY,
                pk,
                unit_id,
                opened,
                person_id=person,
                # A walk-in's follow-up has no case: whoever reviewed and closed it owned it.
                owner_at=assigned if case_id else closed,
                owner_due=due,
                finished_at=finished,
                link=(
                    reverse("cases:detail", args=[case_id])
                    if case_id
                    else reverse("surveys:response", args=[response_id])
                ),
                title=number or f"#{response_id}",
            )
        )
    return signals


def return_visit_signals(scope: Scope, p: Period) -> list[Signal]:
    """Return visits marked "not satisfied", and the complaint offered from each."""
    qs = WorkOrder.objects.filter(
        case__company_id=p.company.pk,
        return_visit_outcome=ReturnVisitOutcome.NOT_SATISFIED,
        case__closed_at__gte=p.start,
        case__closed_at__lt=p.end,
    )
    qs = _in_unit(
        scope.filter(
            qs,
            unit_field="case__unit",
            company_field="case__company",
            perm=Perm.VIEW_REPORTS,
        ),
        "case__unit",
        p,
    )
    # The complaint offered from the return visit (a survey follow-up opened as a complaint
    # also names the work order as its source: it belongs to the survey signal).
    complaints = (
        Complaint.objects.filter(source_case_id=OuterRef("case_id"))
        .exclude(source_ref__startswith="survey-response:")
        .order_by("pk")
    )
    qs = qs.annotate(
        complaint_id=Subquery(complaints.values("pk")[:1]),
        contacted=Subquery(complaints.values("first_contact_at")[:1]),
        resolved=Subquery(complaints.values("resolved_at")[:1]),
        severity=Subquery(complaints.values("severity")[:1]),
        person=Subquery(complaints.values("case__assignee_id")[:1]),
        complaint_case=Subquery(complaints.values("case_id")[:1]),
    )
    if p.person is not None:
        qs = qs.filter(person=p.person.pk)
    policy = policy_for(p.company)
    signals = []
    for row in qs.values(
        "case_id",
        "case__unit_id",
        "case__closed_at",
        "case__number",
        "contacted",
        "resolved",
        "severity",
        "person",
        "complaint_case",
    ):
        major = row["severity"] == Severity.MAJOR
        signals.append(
            Signal(
                Kind.RETURN_VISIT,
                row["case_id"],
                row["case__unit_id"],
                row["case__closed_at"],
                person_id=row["person"],
                owner_at=row["contacted"],
                finished_at=row["resolved"],
                sla_hours=(
                    policy.major_first_contact_hours if major else policy.first_contact_hours
                ),
                link=reverse("cases:detail", args=[row["complaint_case"] or row["case_id"]]),
                title=row["case__number"],
            )
        )
    return signals


def complaint_signals(scope: Scope, p: Period) -> list[Signal]:
    """Complaints received directly (not the follow-up of another signal), merged ones out."""
    followed_up = FollowUp.objects.filter(case_id__isnull=False).values("case_id")
    qs = Complaint.objects.filter(
        company_id=p.company.pk,
        # complaint_company_month_idx narrows to the months; the exact moment filters the rest.
        received_month__gte=timezone.localtime(p.start).date().replace(day=1),
        received_month__lte=timezone.localtime(p.end).date(),
        case__opened_at__gte=p.start,
        case__opened_at__lt=p.end,
        merged_into__isnull=True,
        source_case__isnull=True,
    ).exclude(case_id__in=followed_up)
    qs = _in_unit(
        scope.filter(qs, unit_field="case__unit", perm=Perm.VIEW_REPORTS), "case__unit", p
    )
    if p.person is not None:
        qs = qs.filter(case__assignee_id=p.person.pk)
    policy = policy_for(p.company)
    return [
        Signal(
            Kind.COMPLAINT,
            pk,
            unit_id,
            opened,
            person_id=person,
            owner_at=contacted,
            finished_at=resolved,
            sla_hours=(
                policy.major_first_contact_hours
                if severity == Severity.MAJOR
                else policy.first_contact_hours
            ),
            link=reverse("cases:detail", args=[case_id]),
            title=number,
        )
        for pk, case_id, number, unit_id, opened, person, contacted, resolved, severity in (
            qs.values_list(
                "pk",
                "case_id",
                "case__number",
                "case__unit_id",
                "case__opened_at",
                "case__assignee_id",
                "first_contact_at",
                "resolved_at",
                "severity",
            )
        )
    ]


def audit_signals(scope: Scope, p: Period) -> list[Signal]:
    """Audit findings "not met" and their action items (the first planned, the first done)."""
    qs = AuditFinding.objects.filter(
        company_id=p.company.pk,
        kind=FindingKind.GAP,
        verdict="not_met",
        created_at__gte=p.start,
        created_at__lt=p.end,
    )
    qs = _in_unit(scope.filter(qs, unit_field="outlet", perm=Perm.VIEW_REPORTS), "outlet", p)
    actions = ActionItem.objects.filter(finding_id=OuterRef("pk")).exclude(
        status=ActionStatus.CANCELLED
    )
    qs = qs.annotate(
        planned=Min("actions__created_at", filter=~Q(actions__status=ActionStatus.CANCELLED)),
        done=Min("actions__done_at", filter=Q(actions__status=ActionStatus.DONE)),
        person=Subquery(actions.order_by("created_at", "pk").values("owner_id")[:1]),
    )
    if p.person is not None:
        qs = qs.filter(person=p.person.pk)
    days = dt.timedelta(days=AUDIT_OWNER_DAYS)
    return [
        Signal(
            Kind.AUDIT,
            pk,
            outlet_id,
            created,
            person_id=person,
            owner_at=planned,
            owner_due=created + days,
            finished_at=done,
            link=reverse("quality:audit", args=[audit_id]),
            title=code,
        )
        for pk, outlet_id, created, planned, done, person, audit_id, code in qs.values_list(
            "pk",
            "outlet_id",
            "created_at",
            "planned",
            "done",
            "person",
            "audit_id",
            "standard__code",
        )
    ]


SOURCES: dict[str, Callable[[Scope, Period], list[Signal]]] = {
    Kind.SURVEY: survey_signals,
    Kind.RETURN_VISIT: return_visit_signals,
    Kind.COMPLAINT: complaint_signals,
    Kind.AUDIT: audit_signals,
}


def signals(scope: Scope, p: Period, kinds: Iterable[str] | None = None) -> list[Signal]:
    """Every negative signal of the period in the reader's scope, oldest first, with the
    business-hours deadlines resolved on each outlet's calendar."""
    scope.require(Perm.VIEW_REPORTS)
    found: list[Signal] = []
    for kind in kinds or SOURCES:
        found.extend(SOURCES[kind](scope, p))
    timed = [s for s in found if s.sla_hours is not None]
    if timed:
        local = timezone.localtime
        years = range(min(local(s.occurred_at).year for s in timed), local(p.end).year + 2)
        calendars = calendars_for(p.company.pk, {s.unit_id for s in timed}, years)
        for s in timed:
            s.owner_due = calendars[s.unit_id].add_business_hours(s.occurred_at, s.sla_hours)
    found.sort(key=lambda s: (s.occurred_at, s.kind, s.ref))
    return found


# -- the figures ----------------------------------------------------------------------------------


@dataclass
class Closure:
    """The loop-closure figures of a group of signals."""

    key: Any
    label: str
    signals: int = 0
    owner_in_time: int = 0
    finished: int = 0
    closed: int = 0
    open: int = 0  # not finished yet
    _days: list[float] = field(default_factory=list, repr=False)

    def add(self, s: Signal) -> None:
        self.signals += 1
        self.owner_in_time += s.owner_in_time
        self.finished += s.finished
        self.closed += s.closed
        self.open += not s.finished
        if s.days is not None:
            self._days.append(s.days)

    @property
    def late(self) -> int:
        """Signals without an owner in time."""
        return self.signals - self.owner_in_time

    @property
    def share(self) -> Decimal | None:
        """Closed ÷ signals, a fraction to four places."""
        if not self.signals:
            return None
        return (Decimal(self.closed) / self.signals).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )

    @property
    def median_days(self) -> Decimal | None:
        """Median calendar days from signal to finished action (finished signals only)."""
        value = percentile(sorted(self._days), 0.5)
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class LoopReport:
    """The loop-closure page's figures."""

    period: Period
    total: Closure
    by_kind: list[Closure]
    by_unit: list[Closure]
    by_person: list[Closure]


def closure(found: list[Signal], label: str = "") -> Closure:
    """The figures of ``found`` as one group."""
    total = Closure("total", label)
    for s in found:
        total.add(s)
    return total


def _grouped(found: list[Signal], key: Callable[[Signal], Any], names: dict) -> list[Closure]:
    groups: dict[Any, Closure] = {}
    for s in found:
        k = key(s)
        if k not in groups:
            groups[k] = Closure(k, names.get(k, ""))
        groups[k].add(s)
    return sorted(groups.values(), key=lambda c: (c.share is None, c.share or 0, c.label))


def report(scope: Scope, p: Period) -> LoopReport:
    """The figures of the period: in all, per kind, per outlet and per person (worst first)."""
    found = signals(scope, p)
    unit_names = dict(
        Unit.objects.filter(pk__in={s.unit_id for s in found}).values_list("pk", "name")
    )
    person_names = dict(
        Staff.objects.filter(pk__in={s.person_id for s in found if s.person_id}).values_list(
            "pk", "name"
        )
    )
    person_names[None] = str(_("No owner yet"))
    kinds = {k: str(v) for k, v in KIND_LABELS.items()}
    by_kind = _grouped(found, lambda s: s.kind, kinds)
    order = list(KIND_LABELS)
    by_kind.sort(key=lambda c: order.index(c.key))
    return LoopReport(
        period=p,
        total=closure(found, str(_("All signals"))),
        by_kind=by_kind,
        by_unit=_grouped(found, lambda s: s.unit_id, unit_names),
        by_person=_grouped(found, lambda s: s.person_id, person_names),
    )


def open_signals(
    scope: Scope, p: Period, *, kind: str | None = None, state: str = "open"
) -> list[Signal]:
    """The signals behind a number: ``state`` "open" (no finished action), "late" (no owner in
    time), "closed" or "all"; optionally of one ``kind``."""
    found = signals(scope, p, [kind] if kind else None)
    tests = {
        "open": lambda s: not s.finished,
        "late": lambda s: not s.owner_in_time,
        "closed": lambda s: s.closed,
        "all": lambda s: True,
    }
    return [s for s in found if tests[state](s)]


STATES = ("open", "late", "closed", "all")


def now_local() -> dt.datetime:
    return timezone.localtime(clock.now())


__all__ = [
    "AUDIT_OWNER_DAYS",
    "KIND_LABELS",
    "SOURCES",
    "STATES",
    "Closure",
    "Kind",
    "LoopReport",
    "Period",
    "Signal",
    "closure",
    "open_signals",
    "report",
    "signals",
]
