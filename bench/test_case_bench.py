"""The case-engine benchmark, shortened, so the harness never rots.

Checks what the generator builds and runs the whole command once (parent, children, the
production server on a temp SQLite, a second of load per measure). Never asserts a time: the
figures are in bench/README.md.
"""

from __future__ import annotations

import json

from django.utils import timezone

from bench import case_engine, generate_cases
from manyi import clock
from manyi.cases.models import Case, CaseCounter, CaseEvent
from manyi.customers.models import Customer
from manyi.workorders.models import WorkOrder
from manyi.workorders.workflow import KIND

CASES = 2_000


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]
    assert case_engine.percentile(values, 50) == 50.0
    assert case_engine.percentile(values, 95) == 95.0
    assert case_engine.percentile([], 95) == 0.0


def test_columns_written_are_every_column_of_the_models():
    # A new column must be filled by the generator, or the bulk load breaks.
    for model, fields in (
        (Case, generate_cases.CASE_FIELDS),
        (WorkOrder, generate_cases.WORKORDER_FIELDS),
        (CaseEvent, generate_cases.EVENT_FIELDS),
    ):
        names = {f.name for f in model._meta.concrete_fields if not f.primary_key}
        assert names - {"id"} <= set(fields), model
        assert len(fields) == len(set(fields)), model


def test_generated_cases_are_consistent(db):
    result = generate_cases.generate_cases(CASES, customers=1_000, seed=3)
    company = result.org.company
    cases = Case.objects.filter(company=company)
    assert cases.count() == CASES == WorkOrder.objects.filter(case__company=company).count()
    assert CaseEvent.objects.filter(case__company=company, kind="opened").count() == CASES
    # Realistic mix: mostly done, some cancelled, a few open, some of those overdue.
    stages = result.stages
    assert stages["done"] > CASES * 0.8
    assert 0 < stages["cancelled"] < CASES * 0.06
    open_count = cases.filter(closed_at__isnull=True).count()
    assert 0 < open_count < CASES * 0.1
    assert result.overdue > 0
    now = clock.now()
    for case in cases.filter(closed_at__isnull=True):
        assert case.stage in generate_cases.OPEN_STAGES
        assert case.opened_at <= case.stage_entered_at <= now
        assert case.due_at is not None and case.due_at > case.stage_entered_at
        assert (case.assignee_id is None) == (case.stage == "intake")
        if case.breached_at:
            assert case.due_at < now and case.paused_at is None
    for case in cases.filter(closed_at__isnull=False)[:200]:
        assert case.stage in ("done", "cancelled") and case.due_at is None
        assert case.opened_at <= case.closed_at <= now
    # Technicians are licensed; each open assigned case's technician serves its outlet.
    for case in cases.filter(assignee__isnull=False).select_related("assignee")[:200]:
        assert case.assignee.work_licence and case.assignee.unit_id == case.unit_id
    # Numbers: unique, per year in id order, the counters continue them.
    numbers = list(cases.order_by("pk").values_list("number", flat=True))
    assert len(set(numbers)) == CASES
    for counter in CaseCounter.objects.filter(kind=KIND):
        mine = [n for n in numbers if n.startswith(f"FW-{counter.year}-")]
        assert [int(n[-6:]) for n in mine] == list(range(1, counter.value + 1))
    year = timezone.localtime(now).year
    assert CaseCounter.objects.get(kind=KIND, year=year).value > 0
    # The API continues the numbering and the ids.
    from manyi.workorders.actions import take_order

    clerk = result.org.clerks[result.org.outlets[0].pk]
    customer = Customer.objects.filter(home_outlet=clerk.unit).first()
    case = take_order(actor=clerk.user, customer=customer)
    value = CaseCounter.objects.get(kind=KIND, year=year).value
    assert case.number == f"FW-{year}-{value:06d}"
    assert case.pk > max(cases.exclude(pk=case.pk).values_list("pk", flat=True))
    # Removing them leaves a company without cases (the empty-database measure).
    assert generate_cases.remove_cases(result.org) == CASES + 1
    assert not Case.objects.filter(company=company).exists()


def test_command_line_run_on_sqlite(tmp_path, capsys):
    # The whole path: setup child, the production server, load, the bulk load, the server
    # again, the checks; small and short, but exactly what the full run does.
    code = case_engine.main(
        [
            "--cases", "1500", "--customers", "1000", "--databases", "sqlite",
            "--seconds", "1", "--warmup", "0.3", "--concurrency", "2", "--workers", "1",
            "--workdir", str(tmp_path / "work"), "--results", str(tmp_path / "results"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "queue, full" in out
    (path,) = (tmp_path / "results").glob("case_engine-1500-*.json")
    result = json.loads(path.read_text(encoding="utf-8"))
    (run,) = result["runs"]
    assert run["check_empty"]["ok"] and run["check_full"]["ok"], run
    assert run["check_empty"]["created"] > 0 and run["check_full"]["created"] > 0
    assert run["generation"]["cases"] == 1500
    for name in ("create_empty", "create_full", "queue_full", "mine_full"):
        pair = run["measures"][name]
        for side in ("baseline", "measure"):
            figures = pair[side]
            assert figures["ok"] > 0 and figures["ok"] == figures["requests"], (name, side)
            assert 0 < figures["p50"] <= figures["p95"], (name, side)
    assert result["machine"]["cpus"]
