"""Read side of the case engine: the department queue, a technician's jobs, one case, its timeline.

Shared by the API (``cases/api.py``) and the pages (``cases/views.py``): both read through these
functions so they list the same cases in the same order under the same scope rules.

**Queue order and paging.** The queue shows overdue cases first, then the rest by deadline
(cases without a running clock last), then by id. Paging by ``id`` alone (``manyi.pagination``)
cannot follow that order, and offset paging would skip or repeat rows as cases move, so the queue
uses a keyset on the sort key itself, ``(rank, due_key, id)``:

- ``rank`` is 0 for an overdue case (running clock past its deadline), 1 otherwise;
- ``due_key`` is ``due_at`` with "no deadline" mapped to a far-future instant (no NULLs to
  special-case in the keyset comparison);
- the cursor is an opaque string that also carries the instant ``now`` of the first page, so every
  page of one walk ranks "overdue" against the same instant and no case appears twice or is lost
  when a deadline passes between two pages.

The queue reads only open cases by default; their number is bounded by the work in hand (not by
history), and the company/stage/due index (``case_queue_idx``) narrows them before the sort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as Switch
from django.db.models import (
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from manyi import clock
from manyi.cases.actions import visible_cases
from manyi.cases.models import Attachment, Case, CaseEvent
from manyi.cases.workflow import Move, get_workflow
from manyi.errors import NotFound
from manyi.org.scopes import Scope

DUE_WINDOWS = ("overdue", "today", "week")
# "No deadline" sorts after every real one.
FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
DEFAULT_SIZE = 50
MAX_SIZE = 200
MY_JOBS_LIMIT = 100


def _to_int(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    # An id no row has (not a database overflow) when it is out of range.
    return value if 0 < value < 2**63 else -1


@dataclass
class QueueFilters:
    """The filters of the department queue (all optional).

    ``due``: ``overdue`` (running clock past its deadline), ``today`` (running, due by the end of
    today), ``week`` (running, due within 7 days) — or use ``within_days`` for any N (0 = today).
    ``q`` matches the case number (part of it). ``include_closed`` adds finished cases.
    """

    kind: str = ""
    stage: str = ""
    outlet: int | None = None
    assignee: int | None = None
    due: str = ""
    within_days: int | None = None
    q: str = ""
    include_closed: bool = False

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        """Filters from a query dict (``request.GET`` or a schema's ``dict()``); bad values are
        dropped, never an error."""

        def text(name: str, limit: int = 30) -> str:
            return str(params.get(name) or "").strip()[:limit]

        due = text("due", 10)
        try:
            within = int(params.get("within_days"))
        except (TypeError, ValueError, OverflowError):
            within = None
        return cls(
            kind=text("kind", 20),
            stage=text("stage", 30),
            outlet=_to_int(params.get("outlet")) if params.get("outlet") else None,
            assignee=_to_int(params.get("assignee")) if params.get("assignee") else None,
            due=due if due in DUE_WINDOWS else "",
            within_days=min(within, 366) if within is not None and within >= 0 else None,
            q=text("q", 24),
            include_closed=str(params.get("include_closed") or "").lower() in ("1", "true", "on"),
        )


def _end_of_day(now: dt.datetime, days_ahead: int) -> dt.datetime:
    """The end of the local day ``days_ahead`` days after ``now``'s (Asia/Shanghai by default)."""
    day = timezone.localtime(now).date() + dt.timedelta(days=days_ahead)
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999999), tzinfo=tz)


def overdue_q(now: dt.datetime) -> Q:
    """Running clock past its deadline (the same rule as ``Case.is_overdue``)."""
    return Q(closed_at__isnull=True, paused_at__isnull=True, due_at__lt=now)


def due_within_q(now: dt.datetime, days: int) -> Q:
    """Running clock, not yet overdue, due by the end of the local day ``days`` from today."""
    return Q(
        closed_at__isnull=True,
        paused_at__isnull=True,
        due_at__gte=now,
        due_at__lte=_end_of_day(now, days),
    )


def with_due_order(qs: QuerySet[Case], now: dt.datetime) -> QuerySet[Case]:
    """Annotate ``rank`` and ``due_key`` and order overdue first, then by deadline, then id."""
    return qs.annotate(
        rank=Switch(
            When(overdue_q(now), then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        due_key=Coalesce("due_at", Value(FAR_FUTURE)),
    ).order_by("rank", "due_key", "id")


def department_queue(
    scope: Scope, filters: QueueFilters | None = None, *, now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The cases of the scope's queue, filtered and ordered overdue first, then by deadline.

    Related rows for a list (customer, outlet, assignee) are joined; add your own
    ``select_related`` (e.g. ``"workorder"``) before paging. Page with :func:`queue_page`.
    """
    now = now or clock.now()
    return with_due_order(_queue_cases(scope, filters, now), now)


def _queue_cases(scope: Scope, filters: QueueFilters | None, now: dt.datetime) -> QuerySet[Case]:
    """The queue's cases, filtered, in no order."""
    filters = filters or QueueFilters()
    qs = visible_cases(scope).select_related("customer", "unit", "assignee")
    if not filters.include_closed:
        qs = qs.filter(closed_at__isnull=True)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.outlet is not None:
        qs = qs.filter(unit_id=filters.outlet)
    if filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.q:
        qs = qs.filter(number__icontains=filters.q)
    if filters.due == "overdue":
        qs = qs.filter(overdue_q(now))
    elif filters.due == "today":
        qs = qs.filter(due_within_q(now, 0))
    elif filters.due == "week":
        qs = qs.filter(due_within_q(now, 7))
    if filters.within_days is not None:
        qs = qs.filter(due_within_q(now, filters.within_days))
    return qs


@dataclass
class QueuePage:
    """One page of the queue and the cursor of the next one (None at the end)."""

    items: list[Case]
    next_cursor: str | None
    size: int
    now: dt.datetime = field(default_factory=clock.now)


def _micros(value: dt.datetime) -> int:
    return int(value.timestamp() * 1_000_000) if value < FAR_FUTURE else 253402300799_000000


def _from_micros(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(0, tz=dt.UTC) + dt.timedelta(microseconds=value)


def encode_cursor(now: dt.datetime, case: Case) -> str:
    """The opaque cursor after ``case`` (which carries the ``rank``/``due_key`` annotations)."""
    return f"{_micros(now)}.{case.rank}.{_micros(case.due_key)}.{case.pk}"


def decode_cursor(raw: Any) -> tuple[dt.datetime, int, dt.datetime, int] | None:
    """``(now, rank, due_key, id)`` from a cursor, or None when absent or malformed."""
    try:
        now_us, rank, due_us, pk = (int(part) for part in str(raw).split("."))
        if rank not in (0, 1) or pk <= 0 or pk >= 2**63:
            return None
        due = FAR_FUTURE if due_us >= 253402300799_000000 else _from_micros(due_us)
        return _from_micros(now_us), rank, due, pk
    except (TypeError, ValueError, OverflowError):
        return None


def _segments(now: dt.datetime) -> list[tuple[int, Q, bool]]:
    """The queue order as consecutive stretches, each readable in index order.

    ``(rank, condition, dated)``: overdue running clocks by deadline; then the other dated cases
    whose deadline is past (paused clocks, or closed ones when they are included); then those due
    from now on; then those without a deadline (``due_key`` = far future), by id. Together they
    are exactly ``(rank, due_key, id)`` order, but none needs a sort of all open cases: each is a
    range of ``case_open_queue_idx`` ``(company, due_at)`` read until the page is full.
    """
    return [
        (0, overdue_q(now), True),
        (1, Q(due_at__lt=now) & (Q(paused_at__isnull=False) | Q(closed_at__isnull=False)), True),
        (1, Q(due_at__gte=now), True),
        (1, Q(due_at__isnull=True), False),
    ]


def _segment_of(key: tuple[dt.datetime, int, dt.datetime, int], now: dt.datetime) -> int:
    """Which of :func:`_segments` a cursor ``(now, rank, due_key, id)`` points into."""
    _now, rank, due, _pk = key
    if rank == 0:
        return 0
    if due >= FAR_FUTURE:
        return 3
    return 1 if due < now else 2


def queue_page(
    scope: Scope,
    filters: QueueFilters | None = None,
    *,
    cursor: Any = None,
    size: Any = DEFAULT_SIZE,
    now: dt.datetime | None = None,
    qs_hook: Any = None,
) -> QueuePage:
    """One page of :func:`department_queue` after ``cursor``.

    Read stretch by stretch (:func:`_segments`), each with an index-ordered ``LIMIT``, so a page
    costs the rows it shows, not a sort of every open case: usually two queries (the ids, then
    the rows with their customer, outlet and assignee), at most five. A
    cursor from a previous page fixes ``now`` for the whole walk. ``qs_hook`` may adjust the
    queryset before the page is read (e.g. ``lambda qs: qs.select_related("workorder")``).
    """
    try:
        size = max(1, min(int(size), MAX_SIZE))
    except (TypeError, ValueError):
        size = DEFAULT_SIZE
    key = decode_cursor(cursor) if cursor else None
    if key is not None:
        now = key[0]
    now = now or clock.now()
    # Ids first, on the case table alone: each stretch is an index range read until the page
    # is full. Joining customer, outlet and assignee before the LIMIT made PostgreSQL join all
    # 5,540 overdue cases of the 1M bench and sort them (42 ms); after it, only the page's rows.
    base = _queue_cases(scope, filters, now).order_by()
    picked: list[tuple[int, int]] = []  # (id, rank) in queue order
    at = 0 if key is None else _segment_of(key, now)
    for index, (rank, condition, dated) in enumerate(_segments(now)):
        if index < at:
            continue  # wholly before the cursor
        qs = base.filter(condition)
        if key is not None and index == at:  # the cursor's own stretch: the rows after it
            _now, _rank, key_due, key_pk = key
            if dated:
                qs = qs.filter(Q(due_at__gt=key_due) | Q(due_at=key_due, id__gt=key_pk))
            else:
                qs = qs.filter(id__gt=key_pk)
        order = ("due_at", "id") if dated else ("id",)
        found = qs.order_by(*order).values_list("id", flat=True)[: size + 1 - len(picked)]
        picked += [(pk, rank) for pk in found]
        if len(picked) > size:
            break
    full = visible_cases(scope).select_related("customer", "unit", "assignee")
    if qs_hook is not None:
        full = qs_hook(full)
    by_id = {c.pk: c for c in full.filter(pk__in=[pk for pk, _rank in picked])} if picked else {}
    rows: list[Case] = []
    for pk, rank in picked:
        case = by_id.get(pk)
        if case is not None:  # (only if it vanished between the two reads)
            case.rank = rank
            case.due_key = case.due_at or FAR_FUTURE
            rows.append(case)
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(now, rows[-1]) if more and rows else None
    return QueuePage(items=rows, next_cursor=next_cursor, size=size, now=now)


@dataclass
class MyJobs:
    """A technician's open cases in three buckets, each soonest due first."""

    overdue: list[Case]
    today: list[Case]
    next: list[Case]
    now: dt.datetime


def my_jobs(scope: Scope, *, now: dt.datetime | None = None, limit: int = MY_JOBS_LIMIT) -> MyJobs:
    """The open cases assigned to the scope's staff member: overdue, due today, and the rest.

    ``next`` holds everything else that is open (due later, paused, or without a clock). Two
    queries: the bucketing reads the case table alone (a technician with hundreds of open
    cases sorts narrow rows, measured 137 ms → see bench/README "Scale" when it joined every
    case to its customer first), then the chosen cases are read with their customer, outlet and
    assignee. Each bucket holds at most ``limit`` cases.
    """
    now = now or clock.now()
    if scope.staff_id is None:
        return MyJobs([], [], [], now)
    qs = with_due_order(
        visible_cases(scope).filter(assignee_id=scope.staff_id, closed_at__isnull=True), now
    )
    end_today = _end_of_day(now, 0)
    buckets: dict[str, list[int]] = {"overdue": [], "today": [], "later": []}
    for pk, rank, paused_at, due_at in qs.values_list("pk", "rank", "paused_at", "due_at")[
        : 3 * limit
    ]:
        if rank == 0:
            bucket = buckets["overdue"]
        elif paused_at is None and due_at is not None and due_at <= end_today:
            bucket = buckets["today"]
        else:
            bucket = buckets["later"]
        if len(bucket) < limit:
            bucket.append(pk)
    chosen = [pk for ids in buckets.values() for pk in ids]
    rows = (
        Case.objects.filter(pk__in=chosen).select_related("customer", "unit", "assignee")
        if chosen
        else Case.objects.none()
    )
    by_pk = {case.pk: case for case in rows}
    overdue, today, later = (
        [by_pk[pk] for pk in buckets[name] if pk in by_pk] for name in ("overdue", "today", "later")
    )
    return MyJobs(overdue=overdue, today=today, next=later, now=now)


def case_detail(scope: Scope, case_id: Any) -> Case:
    """One case the scope may read, with its customer, outlet and assignee, or NotFound."""
    try:
        return (
            visible_cases(scope)
            .select_related("customer", "unit", "assignee", "created_by")
            .get(pk=case_id)
        )
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's timeline in order, with each entry's actor and attachments (two queries)."""
    return list(
        case.events.select_related("actor__staff").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        )
    )


def allowed_moves(case: Case, scope: Scope) -> list[Move]:
    """The moves from the case's stage that the scope's role may make (the UI's buttons).

    Mirrors the role and assignee checks of ``actions.move``; requirements are not checked
    here (the move itself reports what is missing).
    """
    from manyi.org.scopes import Perm

    if not scope.can(Perm.WORK_CASES):
        return []
    workflow = get_workflow(case.kind)
    result = []
    for step in workflow.moves_from(case.stage):
        if scope.role not in step.roles and not scope.everything:
            continue
        if (
            step.assignee_only
            and case.assignee_id != scope.staff_id
            and scope.role not in workflow.manager_roles
            and not scope.everything
        ):
            continue
        result.append(step)
    return result
