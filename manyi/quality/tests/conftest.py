"""Fixtures of the quality tests: standards written through the actions, a shopper login."""

from __future__ import annotations

import pytest

from conftest import PASSWORD


def make_standard(actor, code, area, statement="标准", criterion="可衡量", approve=True, **extra):
    """A standard through the actions (approved unless ``approve`` is false)."""
    from manyi.quality.actions import standards

    standard = standards.create_standard(
        actor=actor,
        data={"code": code, "area": area, "statement": statement, "criterion": criterion, **extra},
    )
    if approve:
        standard = standards.approve_standard(
            actor=actor, standard=standard, checks=standards.TEST_NAMES
        )
    return standard


@pytest.fixture
def five(world):
    """Procedural A, B and personal C, D, E, approved, ranked A>B and C>D>E at 20/80."""
    from manyi.quality.actions import standards

    head = world.head
    rows = {
        "A": make_standard(head, "A", "timeliness", "30秒内招呼"),
        "B": make_standard(head, "B", "flow", "排队不超过3人"),
        "C": make_standard(head, "C", "appearance", "着装合规"),
        "D": make_standard(head, "D", "attentiveness", "主动询问需求"),
        "E": make_standard(head, "E", "guidance", "讲清用法用量"),
    }
    standards.set_priorities(
        actor=head,
        procedural_share=20,
        ranks={
            "procedural": [rows["A"].pk, rows["B"].pk],
            "personal": [rows["C"].pk, rows["D"].pk, rows["E"].pk],
        },
    )
    return rows


@pytest.fixture
def template(world, five):
    from manyi.quality.actions import audits

    return audits.generate_template(
        actor=world.head, name="门店审核", standards=[s.pk for s in five.values()]
    )


@pytest.fixture
def walkaround(world, five):
    from manyi.quality.actions import audits

    return audits.generate_template(
        actor=world.head,
        name="走动巡查",
        standards=[s.pk for s in five.values()],
        walkaround=True,
    )


@pytest.fixture
def shopper(world):
    """An external mystery shopper's login (Role.SHOPPER at the company)."""
    from manyi.org import actions
    from manyi.org.models import Role

    staff = actions.create_staff(
        actor=world.head,
        unit=world.company,
        username="shopper",
        name="神秘顾客甲",
        role=Role.SHOPPER,
        password=PASSWORD,
    )
    return staff.user


@pytest.fixture
def shopper2(world):
    from manyi.org import actions
    from manyi.org.models import Role

    staff = actions.create_staff(
        actor=world.head,
        unit=world.company,
        username="shopper2",
        name="神秘顾客乙",
        role=Role.SHOPPER,
        password=PASSWORD,
    )
    return staff.user


def codes(template):
    """{standard code: item code} of a template."""
    from manyi.quality.actions.audits import item_code

    return {s.code: item_code(s.pk) for s in template.standards.all()}
