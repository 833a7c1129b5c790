"""The settings page's policy update checks the coefficients as the analytics do."""

from decimal import Decimal

import pytest

from manyi.complaints.policy import policy_for_company
from manyi.complaints.settings_actions import update_policy
from manyi.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_zero_unhappy_customers_per_complaint_is_refused_and_nothing_changes(world):
    with pytest.raises(InvalidInput) as caught:
        update_policy(
            actor=world.head, values={"unhappy_per_complaint": 0, "first_contact_hours": 3}
        )
    assert "unhappy_per_complaint" in [field for field, _m in caught.value.field_errors()]
    policy = policy_for_company(world.company.pk)
    assert policy.first_contact_hours == Decimal(2)


def test_solved_quickly_keeps_at_least_as_many_as_solved(world):
    with pytest.raises(InvalidInput):
        update_policy(
            actor=world.head,
            values={"kept_when_solved": Decimal("0.8"), "kept_when_solved_fast": Decimal("0.7")},
        )
    policy = update_policy(actor=world.head, values={"unhappy_per_complaint": Decimal(20)})
    assert policy.unhappy_per_complaint == Decimal(20)
