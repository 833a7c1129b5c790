"""Fixtures of the improvement tests: a problem at the east-1 outlet and a running session."""

import datetime as dt

import pytest

from conftest import fresh_user
from manyi.improvement import actions, session_actions
from manyi.improvement.models import Method

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def problem(world):
    """A problem of the east-1 outlet, raised and owned by its manager."""
    return actions.raise_problem(
        actor=world.manager,
        title="顾客等候时间过长",
        description="周末下午顾客平均等候超过15分钟。",
    )


@pytest.fixture
def users(world):
    """The personas re-read (their scopes are cached per user object)."""
    return {name: fresh_user(getattr(world, name)) for name in ("manager", "tech", "sales")}


@pytest.fixture
def ngt(world, problem):
    """A nominal-group session on the problem, the manager facilitating, tech and sales joined."""
    session = session_actions.start_session(
        actor=world.manager, problem=problem, method=Method.NGT, top_n=3
    )
    session_actions.join_session(actor=world.tech, session=session)
    session_actions.join_session(actor=world.sales, session=session)
    session.refresh_from_db()
    return session


def advance(session, actor):
    """Move the session one phase on, as the facilitator saw it."""
    session.refresh_from_db()
    return session_actions.advance_session(actor=actor, session=session, from_phase=session.phase)
