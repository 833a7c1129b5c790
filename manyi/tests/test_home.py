"""The home page: what each user lands on after logging in."""

import pytest

from conftest import PASSWORD
from manyi.org.actions import create_staff

pytestmark = pytest.mark.django_db


def test_a_mystery_shopper_lands_on_their_visits(client, world):
    staff = create_staff(
        actor=world.head,
        unit=world.company,
        username="shopper-home",
        name="林小雨",
        role="shopper",
        password=PASSWORD,
    )
    client.force_login(staff.user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/quality/my-visits/"


def test_staff_land_on_the_overview(client, world):
    client.force_login(world.manager)
    response = client.get("/")
    assert response.status_code == 200 and "recent_customers" in response.context
