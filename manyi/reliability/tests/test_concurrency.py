"""Two requests at once, on PostgreSQL: real threads, each with its own connection.

- Two people move the same case at the same moment: the first locks the row, the second waits
  for the lock, then finds a newer version and gets a 409 problem; the case moved once.
- The same request twice at once with one Idempotency-Key: the second waits on the key's row
  and gets the first response replayed; one record written.

The first request is slowed down inside its transaction, so that the second surely arrives
while the first holds the lock. SQLite serialises whole transactions instead (IMMEDIATE), so
these run on PostgreSQL only (``MANYI_EXPECT_DB=postgresql``).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from conftest import assert_problem, auth, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are proven on PostgreSQL")


def _at_once(*calls):
    """Run the calls in threads started together; their results in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index, call):
        try:
            start.wait()
            results[index] = call()
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _slow_first(monkeypatch, module, name, seconds=0.8):
    """Make the first call of ``module.name`` hold its transaction ``seconds`` longer."""
    real = getattr(module, name)
    calls = []

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            time.sleep(seconds)
        return result

    monkeypatch.setattr(module, name, slow)


def test_two_people_moving_the_same_case_at_once_one_wins(world, make_customer, monkeypatch):
    from manyi.cases import actions as cases
    from manyi.cases.models import Case, CaseEvent
    from manyi.workorders.actions import take_order

    world.tech.staff.work_licence = True
    world.tech.staff.save(update_fields=["work_licence"])
    case = take_order(actor=world.sales, customer=make_customer(), site_address="漕溪北路88号")
    case = cases.assign(actor=world.rep, case=case, assignee=world.tech.staff, version=1)
    # The move's timeline line is written while the row is locked: slow it down.
    _slow_first(monkeypatch, cases, "record_event")
    url = f"/api/v1/cases/{case.pk}/moves"
    body = {"move": "dispatch", "version": case.version}
    rep, head = auth(world.rep), auth(world.head)

    def move(headers):
        def call():
            began = time.monotonic()
            response = send(Client(), "post", url, headers, body)
            return response, time.monotonic() - began

        return call

    (first, first_took), (second, second_took) = _at_once(move(rep), move(head))
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 409], (first.content, second.content)
    loser = first if first.status_code == 409 else second
    assert_problem(loser, 409, "stale-version")
    assert max(first_took, second_took) >= 0.7  # the loser waited for the winner's lock
    case.refresh_from_db()
    assert (case.stage, case.version) == ("contact", 3)
    assert CaseEvent.objects.filter(case=case, kind="move").count() == 1
    assert Case.objects.filter(pk=case.pk, stage="contact").exists()


def test_the_same_request_twice_at_once_writes_once(world, monkeypatch):
    from manyi.org import actions as org
    from manyi.org.models import Unit
    from manyi.reliability.models import IdempotencyKey

    _slow_first(monkeypatch, org, "create_unit")
    head = {**auth(world.head), "HTTP_IDEMPOTENCY_KEY": "same-at-once"}
    body = {
        "parent_id": world.east.pk,
        "kind": "outlet",
        "name": "苏州店",
        "code": "E3",
        "industry": "paint_dealer",
    }

    def create():
        return send(Client(), "post", "/api/v1/units", head, body)

    first, second = _at_once(create, create)
    assert first.status_code == second.status_code == 201, (first.content, second.content)
    assert first.content == second.content
    replayed = [r.has_header("Idempotent-Replayed") for r in (first, second)]
    assert sorted(replayed) == [False, True]
    assert Unit.objects.filter(code="E3").count() == 1
    assert IdempotencyKey.objects.count() == 1
