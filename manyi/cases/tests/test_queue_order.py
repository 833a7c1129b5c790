"""The queue page, read stretch by stretch, is exactly the queue's one-query order, page by page.

Random clock states (overdue, paused past or future deadlines, no deadline, closed) with
deliberate ties on ``due_at``; walked with small pages, every case appears once, in order.
"""

import datetime as dt
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.cases.models import Case
from manyi.cases.queries import QueueFilters, department_queue, queue_page
from manyi.org.scopes import scope_for
from manyi.workorders import actions as workorders

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
STATES = ("overdue", "due_later", "paused_past", "paused_future", "undated", "closed")


@pytest.fixture
def twenty(world, make_customer):
    customer = make_customer()
    return [
        workorders.take_order(actor=world.sales, customer=customer, site_address="上海").pk
        for _ in range(20)
    ]


def _shape(ids, states, offsets):
    for pk, state, offset in zip(ids, states, offsets, strict=True):
        due = NOW + dt.timedelta(hours=offset)  # offsets repeat: ties on due_at
        values = {"due_at": due, "paused_at": None, "closed_at": None}
        if state == "overdue":
            values["due_at"] = NOW - dt.timedelta(hours=offset + 1)
        elif state == "paused_past":
            values.update(due_at=NOW - dt.timedelta(hours=offset + 1), paused_at=NOW)
        elif state == "paused_future":
            values["paused_at"] = NOW
        elif state == "undated":
            values["due_at"] = None
        elif state == "closed":
            values.update(closed_at=NOW, due_at=None if offset % 2 else due)
        Case.objects.filter(pk=pk).update(**values)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    states=st.lists(st.sampled_from(STATES), min_size=20, max_size=20),
    offsets=st.lists(st.integers(0, 3), min_size=20, max_size=20),
    size=st.integers(1, 7),
    include_closed=st.booleans(),
)
def test_walk_matches_the_sorted_queue(world, twenty, states, offsets, size, include_closed):
    _shape(twenty, states, offsets)
    scope = scope_for(world.head)
    filters = QueueFilters(include_closed=include_closed)
    expected = [c.pk for c in department_queue(scope, filters, now=NOW)]
    walked, cursor = [], None
    for _ in range(30):
        page = queue_page(scope, filters, cursor=cursor, size=size, now=NOW)
        walked += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == expected
    assert {c for c in expected} == {
        pk for pk, s in zip(twenty, states, strict=True) if include_closed or s != "closed"
    }


def test_first_page_is_two_queries_when_enough_are_overdue(
    world, twenty, django_assert_num_queries
):
    _shape(twenty, ["overdue"] * 20, [random.Random(1).randint(0, 3) for _ in range(20)])
    with django_assert_num_queries(2):
        page = queue_page(scope_for(world.head), size=10, now=NOW)
    assert len(page.items) == 10 and all(c.rank == 0 for c in page.items)
