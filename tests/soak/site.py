"""The soak's Django side, run in child processes: ``python -m tests.soak.site STEP IN OUT``.

The parent (tests/soak/run.py) only speaks HTTP, like a client; these steps read and write the
database with the server's environment (``DATABASE_URL``, ``MANYI_DATA``, the task backend):

- ``seed``: migrate; a small company (bench/generate.py: 11 outlets, customers; a clerk and
  licensed technicians per outlet; the built-in CSI survey), a launched campaign whose
  invitations count as sent (their tokens are the survey answers' links), quiet hours off,
  API tokens and a department head's session; the high-water marks of the tables checked later;
- ``pending``: what the task worker still has to do (messages not yet delivered, tasks waiting);
- ``check``: every acknowledged write present exactly once, nothing half-written, counters,
  timelines, messages delivered, and the rollups equal to a recompute.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Outlets whose clerks, technicians and customers the load uses (of the bench's 11).
OUTLETS = 3
TECHNICIANS = 2
INVITATIONS_PER_SECOND = 6  # enough links for the longest run's survey answers


def _token(user, name: str) -> str:
    from manyi.org.actions import create_api_token

    return create_api_token(user=user, name=name)[1]


def _session(user) -> str:
    """A logged-in session (the list page is read with a cookie, as a browser does)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def marks() -> dict[str, int]:
    """The highest id of each table the checks look at (rows above are the run's)."""
    from manyi.cases.models import Case, CaseEvent
    from manyi.notify.models import Message
    from manyi.surveys.models import SurveyResponse

    return {
        name: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for name, model in (
            ("case", Case),
            ("event", CaseEvent),
            ("response", SurveyResponse),
            ("message", Message),
        )
    }


def _no_quiet_hours(company) -> None:
    """Text messages go out at once whatever the hour (the checks wait for their delivery)."""
    try:
        from manyi.notify.models import Policy
    except ImportError:  # notify without quiet hours
        return
    Policy.objects.update_or_create(
        company=company, defaults={"quiet_start": None, "quiet_end": None}
    )


def seed(given: dict[str, Any]) -> dict[str, Any]:
    """The small company and everything the load needs (see the module docstring)."""
    from django.db import transaction

    from bench import generate, generate_cases, survey_generate
    from manyi import clock
    from manyi.surveys import actions as survey_actions
    from manyi.surveys.models import Invitation

    seconds = float(given["seconds"])
    started = time.perf_counter()
    invitations = int(max(600, seconds * INVITATIONS_PER_SECOND))
    # About 60 % of the bench customers agreed to surveys.
    generate.generate(max(1_000, int(invitations / 0.55)))
    case_org = generate_cases.ensure_case_org(TECHNICIANS * 20)
    survey_org = survey_generate.ensure_survey_org()
    company = case_org.company
    _no_quiet_hours(company)
    now = clock.now()
    with transaction.atomic():
        campaign = survey_actions.create_campaign(
            actor=case_org.head,
            data={
                "name": "压力测试满意度调查",
                "unit": company.pk,
                "version": survey_org.versions["csi"].pk,
                "channels": ["sms"],
                "starts_at": now,
                "deadline_at": now + dt.timedelta(days=30),
            },
        )
        survey_actions.launch_campaign(actor=case_org.head, campaign=campaign)
        # Marked sent at once (the sweep would text each one) and counted in the rollups as
        # the sweep would: the load answers them.
        sent = Invitation.objects.filter(campaign=campaign)
        sent.update(sent_at=now)
        survey_generate.count_sent(sent)
    links = list(
        Invitation.objects.filter(campaign=campaign).values_list("token", flat=True)[:invitations]
    )
    rng = random.Random(int(given.get("seed", 1)))
    rng.shuffle(links)
    answers = survey_generate.Answers(survey_org.versions, int(given.get("seed", 1)))
    bodies = [survey_generate.submission_answers(answers, rng) for _ in range(300)]
    from manyi.customers.models import Customer

    outlets = []
    for outlet in case_org.outlets[:OUTLETS]:
        customers = list(
            Customer.objects.filter(home_outlet=outlet).order_by("pk").values_list("pk", flat=True)
        )
        outlets.append(
            {
                "id": outlet.pk,
                "clerk": _token(case_org.clerks[outlet.pk].user, "soak clerk"),
                "technicians": [
                    {"staff_id": t.pk, "token": _token(t.user, "soak technician")}
                    for t in case_org.technicians[outlet.pk][:TECHNICIANS]
                ],
                "customers": rng.sample(customers, min(len(customers), 300)),
            }
        )
    _rebuild_insights(company.pk)
    return {
        "company_id": company.pk,
        "campaign_id": campaign.pk,
        "head": _token(case_org.head, "soak head"),
        "session": _session(case_org.head),
        "outlets": outlets,
        "links": links,
        "bodies": bodies,
        "marks": marks(),
        "seconds": time.perf_counter() - started,
    }


def _rebuild_insights(company_id: int) -> None:
    """The bench's bulk rows bypassed the actions: bring the cockpit's rollups up to date."""
    try:
        from manyi.insights import rollups
    except ImportError:
        return
    from django.db import transaction

    with transaction.atomic():
        rollups.rebuild(company_id)


# -- what is left to do ---------------------------------------------------------------------


def pending(given: dict[str, Any]) -> dict[str, Any]:
    """Messages of the run not delivered yet, and tasks waiting or running."""
    from django.conf import settings

    from manyi.notify.models import Message

    since = int(given["marks"]["message"])
    statuses = Counter(
        Message.objects.filter(pk__gt=since).values_list("status", flat=True).order_by()
    )
    waiting = {"messages": {k: v for k, v in statuses.items()}}
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        waiting["tasks"] = dict(
            Counter(
                DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
                .values_list("status", flat=True)
                .order_by()
            )
        )
    elif backend.startswith("django_tasks_rq"):
        import django_rq

        queue = django_rq.get_queue("default")
        waiting["tasks"] = {"READY": queue.count, "RUNNING": queue.started_job_registry.count}
    return waiting


def sweep_later(given: dict[str, Any]) -> dict[str, Any]:
    """The notification sweep as it runs once the grace periods have passed (a message whose
    task died with a killed worker is re-enqueued after minutes, not seconds): the crash run
    need not wait a quarter of an hour to see the lost ones delivered."""
    from manyi import clock
    from manyi.notify import actions

    later = clock.now() + actions.SENDING_TIMEOUT + dt.timedelta(minutes=1)
    return {"re_enqueued": actions.sweep_messages(now=later)}


# -- the checks -----------------------------------------------------------------------------


def _rows(model, company_id: int) -> Counter:
    """The rollup rows of a company as a multiset of their values (ids left out)."""
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "updated_at"
    ]
    rows = model.objects.filter(company_id=company_id).values_list(*names)
    return Counter(tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows)


def _equal_to_recompute(models: list, rebuild, company_id: int) -> dict[str, int]:
    """Rows that differ between the rollups and a rebuild from the raw rows (rolled back)."""
    from django.db import transaction

    before = {m.__name__: _rows(m, company_id) for m in models}
    with transaction.atomic():
        rebuild(company_id)
        after = {m.__name__: _rows(m, company_id) for m in models}
        transaction.set_rollback(True)
    return {
        name: sum(((before[name] - after[name]) + (after[name] - before[name])).values())
        for name in before
    }


def check(given: dict[str, Any]) -> dict[str, Any]:
    """Every acknowledged write exactly once; nothing half-written; see the module docstring."""
    from django.db.models import Count, Max

    from manyi.cases.models import Case, CaseCounter, CaseEvent
    from manyi.notify.models import Message
    from manyi.surveys.models import SurveyResponse
    from manyi.workorders.models import WorkOrder

    acks, mark = given["acks"], given["marks"]
    company_id = int(given["company_id"])
    problems: dict[str, Any] = {}

    def problem(name: str, count: int, sample: Any = None) -> None:
        if count:
            problems[name] = {"count": count, "sample": sample}

    # Cases (work orders and complaints): each acknowledged once, with its number, its
    # opening event and (work orders) its work order row.
    opened = {a["id"]: a["number"] for a in acks["work_orders"] + acks["complaints"]}
    problem(
        "case_acknowledged_twice", len(acks["work_orders"]) + len(acks["complaints"]) - len(opened)
    )
    found = dict(Case.objects.filter(pk__in=opened).values_list("pk", "number"))
    missing = [pk for pk in opened if pk not in found]
    problem("case_missing", len(missing), missing[:10])
    wrong = [pk for pk, number in opened.items() if pk in found and found[pk] != number]
    problem("case_wrong_number", len(wrong), wrong[:10])
    new_cases = Case.objects.filter(pk__gt=mark["case"], company_id=company_id)
    # (Unhappy survey answers open follow-up cases of their own: not intakes.)
    intakes = new_cases.filter(kind__in=["workorder", "complaint"])
    unacknowledged = sorted(set(intakes.values_list("pk", flat=True)) - set(opened))
    # A request that got no answer (the server was killed) may have been written: allowed only
    # that many times.
    problem(
        "case_without_acknowledgement",
        max(0, len(unacknowledged) - int(acks["unanswered"].get("open", 0))),
        unacknowledged[:10],
    )
    numbers = list(new_cases.values_list("number", flat=True))
    problem("case_number_duplicated", len(numbers) - len(set(numbers)))
    no_opening = list(
        new_cases.annotate(n=Count("events", filter=_kind("opened")))
        .exclude(n=1)
        .values_list("pk", flat=True)[:10]
    )
    problem("case_without_one_opening_event", len(no_opening), no_opening)
    orders = set(WorkOrder.objects.filter(case__in=new_cases).values_list("case_id", flat=True))
    kinds = dict(new_cases.values_list("pk", "kind"))
    half = [pk for pk, kind in kinds.items() if kind == "workorder" and pk not in orders]
    problem("work_order_without_its_row", len(half), half[:10])
    # Counters: the last number given equals the highest number of the kind and year.
    for counter in CaseCounter.objects.all():
        prefix = {"workorder": "FW", "complaint": "TS"}.get(counter.kind)
        if prefix is None:
            continue
        top = Case.objects.filter(
            kind=counter.kind, number__startswith=f"{prefix}-{counter.year}-"
        ).aggregate(top=Max("number"))["top"]
        if top and int(top.rsplit("-", 1)[1]) != counter.value:
            problem(f"counter_behind_{counter.kind}_{counter.year}", 1, [top, counter.value])
    # Stage consistent with the last move of the timeline; version = 1 + changes.
    last_moves: dict[int, str] = {}
    move_counts: Counter = Counter()
    for case_id, target in (
        CaseEvent.objects.filter(case__in=new_cases, kind="move")
        .order_by("case_id", "at", "pk")
        .values_list("case_id", "data__target")
    ):
        last_moves[case_id] = target
        move_counts[case_id] += 1
    stages = dict(new_cases.values_list("pk", "stage"))
    first_stage = dict(
        CaseEvent.objects.filter(case__in=new_cases, kind="opened").values_list(
            "case_id", "data__stage"
        )
    )
    inconsistent = [
        pk for pk, stage in stages.items() if last_moves.get(pk, first_stage.get(pk)) != stage
    ]
    problem("stage_not_its_last_move", len(inconsistent), inconsistent[:10])
    # Acknowledged moves: each in the timeline once; the case at least as far as acknowledged.
    versions = dict(new_cases.values_list("pk", "version"))
    moved = Counter(m["case_id"] for m in acks["moves"])
    for case_id, state in acks["cases"].items():
        case_id = int(case_id)
        if case_id not in stages:
            continue
        if state["uncertain"]:
            ok = versions[case_id] >= state["version"] and move_counts[case_id] >= moved[case_id]
        else:
            ok = (
                versions[case_id] == state["version"]
                and stages[case_id] == state["stage"]
                and move_counts[case_id] == moved[case_id]
            )
        if not ok:
            problem_list = problems.setdefault("case_state_differs", {"count": 0, "sample": []})
            problem_list["count"] += 1
            if len(problem_list["sample"]) < 10:
                problem_list["sample"].append(
                    [case_id, state, stages[case_id], versions[case_id], move_counts[case_id]]
                )
    # Acknowledged timeline lines (calls, visits): each there, on its case, once.
    events = {e["id"]: e for e in acks["events"]}
    problem("event_acknowledged_twice", len(acks["events"]) - len(events))
    stored = dict(CaseEvent.objects.filter(pk__in=events).values_list("pk", "case_id"))
    lost = [pk for pk, e in events.items() if stored.get(pk) != e["case_id"]]
    problem("event_missing", len(lost), lost[:10])

    # Survey answers: each acknowledged response there, for its link; one per invitation.
    responses = {r["id"]: r["token"] for r in acks["responses"]}
    problem("response_acknowledged_twice", len(acks["responses"]) - len(responses))
    stored = dict(
        SurveyResponse.objects.filter(pk__in=responses).values_list("pk", "invitation__token")
    )
    lost = [pk for pk, token in responses.items() if stored.get(pk) != token]
    problem("response_missing", len(lost), lost[:10])
    new_responses = SurveyResponse.objects.filter(pk__gt=mark["response"], company_id=company_id)
    extra = sorted(set(new_responses.values_list("pk", flat=True)) - set(responses))
    problem(
        "response_without_acknowledgement",
        max(0, len(extra) - int(acks["unanswered"].get("survey_answer", 0))),
        extra[:10],
    )
    twice = list(
        new_responses.values("invitation_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("invitation_id", flat=True)[:10]
    )
    problem("invitation_answered_twice", len(twice), twice)
    unmarked = new_responses.filter(
        invitation__isnull=False, invitation__answered_at__isnull=True
    ).count()
    problem("invitation_answered_but_not_marked", unmarked)

    # Messages (the complaints' acknowledgements): every one delivered.
    undelivered = dict(
        Counter(
            Message.objects.filter(pk__gt=mark["message"])
            .exclude(status="sent")
            .values_list("status", flat=True)
            .order_by()
        )
    )
    problem("message_not_delivered", sum(undelivered.values()), undelivered)

    # Rollups: what the incremental updates (in the request, or by a task) left equals a
    # recompute from the raw rows.
    from manyi.surveys import rollups as survey_rollups
    from manyi.surveys.models import (
        SurveyFactorRollup,
        SurveyItemRollup,
        SurveyOutletItemRollup,
        SurveyRollup,
    )

    differ = _equal_to_recompute(
        [SurveyRollup, SurveyFactorRollup, SurveyItemRollup, SurveyOutletItemRollup],
        survey_rollups.rebuild,
        company_id,
    )
    problem("survey_rollups_differ", sum(differ.values()), differ)
    try:
        from manyi.insights import rollups as insight_rollups
        from manyi.insights.models_rollups import DayRollup, MonthRollup
    except ImportError:
        insight_differ = None
    else:
        insight_differ = _equal_to_recompute(
            [DayRollup, MonthRollup], insight_rollups.rebuild, company_id
        )
        problem("insights_rollups_differ", sum(insight_differ.values()), insight_differ)
    counts = {
        "cases": new_cases.count(),
        "work_orders": len(acks["work_orders"]),
        "complaints": len(acks["complaints"]),
        "moves": len(acks["moves"]),
        "events": len(acks["events"]),
        "responses": len(acks["responses"]),
        "messages": Message.objects.filter(pk__gt=mark["message"]).count(),
        "unanswered": acks["unanswered"],
        "insights_checked": insight_differ is not None,
    }
    return {"ok": not problems, "problems": problems, "counts": counts}


def _kind(kind: str):
    from django.db.models import Q

    return Q(events__kind=kind)


STEPS = {"seed": seed, "pending": pending, "sweep_later": sweep_later, "check": check}


def main(argv: list[str]) -> int:
    step, given_path, output_path = argv
    import django

    django.setup()
    if step == "seed":
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    given = json.loads(Path(given_path).read_text(encoding="utf-8"))
    result = STEPS[step](given)
    Path(output_path).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
