"""Complaint settings: routing rules, approval limits, the policy and the cause taxonomy —
changed by administrators and the department head only, audited, refused when they make no
sense."""

import pytest

from manyi.complaints import settings_actions as actions
from manyi.complaints.models import CauseCategory, CompensationLimit, ComplaintPolicy, RoutingRule
from manyi.complaints.policy import causes_for, compensation_limit_for
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.models import AuditEntry

from .conftest import login


def test_only_heads_and_admins_see_the_settings(client, world):
    for who in ("head", "admin_role"):
        login(client, who)
        assert client.get("/complaints/settings/").status_code == 200
    for who in ("manager", "rep", "tech", "sales", "analyst", "outsider"):
        login(client, who)
        assert client.get("/complaints/settings/").status_code == 403


def test_a_routing_rule_is_set_from_the_page_and_routes(client, world, tech, take):
    login(client, "head")
    r = client.post(
        "/complaints/settings/routing/", {"unit": world.east1.pk, "assignee": tech.staff.pk}
    )
    assert r.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.unit, rule.assignee) == (world.east1, tech.staff)
    assert AuditEntry.objects.filter(object_type="complaints.routingrule").exists()
    page = client.get("/complaints/settings/").content.decode()
    assert world.east1.name in page and tech.staff.name in page
    r = client.post(f"/complaints/settings/routing/{rule.pk}/remove/")
    assert r.status_code == 302 and not RoutingRule.objects.exists()


def test_a_technician_must_cover_the_unit_of_the_rule(client, world, tech):
    # The east-1 technician cannot take the whole east region, nor the south.
    for unit in (world.east, world.south1):
        with pytest.raises(InvalidInput):
            actions.set_routing_rule(actor=world.head, unit=unit, assignee=tech.staff)
    with pytest.raises(InvalidInput):  # not a technician
        actions.set_routing_rule(actor=world.head, unit=world.east1, assignee=world.manager.staff)
    with pytest.raises(InvalidInput):  # the company itself is not an outlet or a region
        actions.set_routing_rule(actor=world.head, unit=world.company, assignee=tech.staff)
    login(client, "head")
    r = client.post(
        "/complaints/settings/routing/", {"unit": world.east.pk, "assignee": tech.staff.pk}
    )
    assert r.status_code == 422 and not RoutingRule.objects.exists()
    with pytest.raises(OutOfScope):
        actions.set_routing_rule(actor=world.manager, unit=world.east1, assignee=tech.staff)


def test_approval_limits_per_unit(client, world):
    login(client, "head")
    r = client.post("/complaints/settings/limits/", {"unit": world.east.pk, "amount": "2500"})
    assert r.status_code == 302
    assert compensation_limit_for(world.east1) == (2500, world.east)
    limit = CompensationLimit.objects.get()
    r = client.post("/complaints/settings/limits/", {"unit": world.east.pk, "amount": "-1"})
    assert r.status_code == 400
    client.post(f"/complaints/settings/limits/{limit.pk}/remove/")
    assert compensation_limit_for(world.east1) == (1000, None)


def test_the_policy_is_edited_and_audited(client, world):
    login(client, "head")
    page = client.get("/complaints/settings/").content.decode()
    assert 'name="unhappy_per_complaint"' in page
    data = {
        "first_contact_hours": "3",
        "major_first_contact_hours": "1",
        "major_amount": "8000",
        "repeat_count": "3",
        "repeat_window_days": "60",
        "compensation_limit": "1500",
        "unhappy_per_complaint": "27",
        "unhappy_tells": "18",
        "satisfied_tells": "8",
        "kept_when_solved": "0.54",
        "kept_when_solved_fast": "0.82",
        "fast_days": "3",
        "new_customer_cost_factor": "5",
    }
    assert client.post("/complaints/settings/policy/", data).status_code == 302
    policy = ComplaintPolicy.objects.get(company=world.company)
    assert (policy.first_contact_hours, policy.unhappy_per_complaint) == (3, 27)
    entry = AuditEntry.objects.get(object_type="complaints.complaintpolicy")
    assert set(entry.changes) >= {"first_contact_hours", "unhappy_per_complaint"}
    r = client.post(
        "/complaints/settings/policy/",
        {**data, "kept_when_solved": "1.5", "first_contact_hours": "0"},
    )
    assert r.status_code == 422
    policy.refresh_from_db()
    assert str(policy.kept_when_solved) == "0.540"


def test_causes_are_added_renamed_and_deactivated_never_deleted(client, world):
    login(client, "head")
    assert len(causes_for(world.company.pk)) == 5
    r = client.post(
        "/complaints/settings/causes/new/",
        {"name": "运输破损", "side": "company", "position": "60", "active": "on"},
    )
    assert r.status_code == 302
    cause = CauseCategory.objects.get(name="运输破损")
    r = client.post(
        f"/complaints/settings/causes/{cause.pk}/",
        {"name": "物流破损", "side": "company", "position": "60"},
    )
    assert r.status_code == 302
    cause.refresh_from_db()
    assert cause.name == "物流破损" and not cause.active
    assert cause not in causes_for(world.company.pk)
    r = client.post(
        "/complaints/settings/causes/new/",
        {"name": "物流破损", "side": "company", "position": "1", "active": "on"},
    )
    assert r.status_code == 400  # the name is taken
    login(client, "other_head")
    assert client.get(f"/complaints/settings/causes/{cause.pk}/").status_code == 404


def test_the_settings_page_seeds_and_lists_the_causes(client, world):
    login(client, "head")
    page = client.get("/complaints/settings/").content.decode()
    for name in ("产品问题", "其他"):
        assert name in page
    assert CauseCategory.objects.filter(company=world.company).count() == 5
