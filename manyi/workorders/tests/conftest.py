"""Fixtures shared by the work-order tests: a licensed technician and a filed order."""

import pytest
import time_machine

from conftest import fresh_user
from manyi.workorders import actions
from manyi.workorders.tests.test_workflow import at


@pytest.fixture
def licensed(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def order(world, make_customer):
    customer = make_customer(name="王小明", address_detail="漕溪北路88号")
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False):
        return actions.take_order(
            actor=world.sales,
            customer=customer,
            installer_name="李师傅",
            installer_phone="13900001111",
            products="华彩净味墙面漆 HC20260213-01 ×5",
        )
