"""The scope module as a matrix: role × action × unit inside / outside the user's subtree."""

import pytest

from conftest import fresh_user
from manyi.customers.queries import visible_customers
from manyi.errors import OutOfScope
from manyi.org.models import Role, Staff
from manyi.org.scopes import NO_ACCESS, ROLE_PERMS, Perm, scope_for

# Who may do what at all (the role half of the matrix).
_DISPATCH = {Perm.OPEN_CASES, Perm.WORK_CASES, Perm.ASSIGN_CASES}
_FIELD = {Perm.VIEW_ORG, Perm.VIEW_CUSTOMERS, Perm.VIEW_CASES, Perm.EDIT_CUSTOMERS, Perm.VIEW_PHONE}
EXPECTED = {
    "head": set(Perm) - {Perm.SHOP},
    "admin_role": set(Perm) - {Perm.SHOP},
    "manager": _FIELD
    | _DISPATCH
    | {
        Perm.MANAGE_STAFF,
        Perm.IMPORT_CUSTOMERS,
        Perm.EXPORT_CUSTOMERS,
        Perm.ERASE_CUSTOMERS,
        Perm.VIEW_AUDIT,
        Perm.VIEW_REPORTS,
        Perm.MANAGE_SURVEYS,
        Perm.AUDIT_OUTLETS,
        Perm.MANAGE_TEAM,
        Perm.RAISE_PROBLEMS,
        Perm.MANAGE_IMPROVEMENT,
    },
    "rep": _FIELD | _DISPATCH | {Perm.IMPORT_CUSTOMERS, Perm.VIEW_AUDIT, Perm.RAISE_PROBLEMS},
    "tech": _FIELD | {Perm.WORK_CASES, Perm.RAISE_PROBLEMS},
    "inspector": {
        Perm.VIEW_ORG,
        Perm.VIEW_CUSTOMERS,
        Perm.VIEW_CASES,
        Perm.VIEW_PHONE,
        Perm.WORK_CASES,
        Perm.RAISE_PROBLEMS,
    },
    "sales": _FIELD | {Perm.OPEN_CASES, Perm.RAISE_PROBLEMS},
    "auditor": {Perm.VIEW_ORG, Perm.AUDIT_OUTLETS, Perm.RAISE_PROBLEMS},
    "analyst": {
        Perm.VIEW_ORG,
        Perm.VIEW_CUSTOMERS,
        Perm.VIEW_CASES,
        Perm.VIEW_AUDIT,
        Perm.VIEW_REPORTS,
    },
    "outsider": set(),
}

# Which outlets each persona's subtree covers (the unit half of the matrix).
COVERS = {
    "head": {"east1", "east2", "south1"},
    "admin_role": {"east1", "east2", "south1"},
    "manager": {"east1"},
    "rep": {"east1", "east2"},
    "tech": {"east1"},
    "inspector": {"east1", "east2"},
    "sales": {"east1"},
    "auditor": {"east1", "east2", "south1"},
    "analyst": {"east1", "east2", "south1"},
    "outsider": set(),
}
OUTLETS = ("east1", "east2", "south1", "other_outlet")


def test_every_role_has_a_row_in_the_matrix():
    assert set(ROLE_PERMS) == set(Role.values)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_role_permissions(world, persona):
    scope = scope_for(fresh_user(world.users[persona]))
    assert set(scope.perms) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(COVERS))
@pytest.mark.parametrize("outlet", OUTLETS)
def test_unit_coverage(world, persona, outlet):
    scope = scope_for(fresh_user(world.users[persona]))
    assert scope.covers(getattr(world, outlet)) == (outlet in COVERS[persona])


@pytest.mark.parametrize("persona", sorted(EXPECTED))
@pytest.mark.parametrize("outlet", OUTLETS)
def test_customer_visibility(world, make_customer, persona, outlet):
    """A customer is visible exactly when the role may read customers and the unit is covered."""
    home = getattr(world, outlet)
    creator = world.other_head if outlet == "other_outlet" else world.head
    customer = make_customer(outlet=home, actor=creator)
    scope = scope_for(fresh_user(world.users[persona]))
    visible = visible_customers(scope).filter(pk=customer.pk).exists()
    expected = Perm.VIEW_CUSTOMERS in EXPECTED[persona] and outlet in COVERS[persona]
    assert visible == expected


@pytest.mark.parametrize("persona", sorted(EXPECTED))
@pytest.mark.parametrize("outlet", OUTLETS)
def test_customer_edit_requires_role_and_unit(world, make_customer, persona, outlet):
    from manyi.customers.actions import update_customer

    home = getattr(world, outlet)
    creator = world.other_head if outlet == "other_outlet" else world.head
    customer = make_customer(outlet=home, actor=creator, name="原名")
    actor = fresh_user(world.users[persona])
    allowed = Perm.EDIT_CUSTOMERS in EXPECTED[persona] and outlet in COVERS[persona]
    if allowed:
        update_customer(actor=actor, customer=customer, data={"name": "新名"})
        customer.refresh_from_db()
        assert customer.name == "新名"
    else:
        with pytest.raises(OutOfScope):
            update_customer(actor=actor, customer=customer, data={"name": "新名"})
        customer.refresh_from_db()
        assert customer.name == "原名"


def test_outsider_and_anonymous_have_no_access(world):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()) is NO_ACCESS
    outsider = scope_for(fresh_user(world.outsider))
    assert not outsider.perms
    assert outsider.units().count() == 0


def test_deactivated_user_has_no_access(world):
    world.sales.is_active = False
    world.sales.save()
    assert scope_for(fresh_user(world.sales)) is NO_ACCESS


def test_inactive_home_unit_sees_nothing(world, make_customer):
    from manyi.org.actions import update_unit

    make_customer(outlet=world.east1)
    update_unit(actor=world.head, unit=world.east1, is_active=False)
    scope = scope_for(fresh_user(world.tech))
    assert visible_customers(scope).count() == 0


def test_technician_sees_only_assigned_rows_where_the_model_has_an_assignee(world):
    """Cases (a later module) carry an assignee; a technician's filter uses it."""
    tech = fresh_user(world.tech)
    scope = scope_for(tech)
    qs = scope.filter(Staff.objects.all(), unit_field="unit", assignee_field="pk")
    assert list(qs) == [tech.staff]


def test_superuser_without_staff_sees_every_company(world, make_customer, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    make_customer(outlet=world.other_outlet, actor=world.other_head)
    make_customer(outlet=world.east1)
    assert visible_customers(scope_for(root)).count() == 2


def test_companies_never_see_each_other(world, make_customer):
    make_customer(outlet=world.east1)
    other = scope_for(fresh_user(world.other_head))
    assert visible_customers(other).count() == 0
    assert not other.covers(world.east1)
