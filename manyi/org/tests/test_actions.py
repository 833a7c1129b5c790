"""Organisation actions: the change, the audit row, each rejection."""

import pytest

from conftest import fresh_user
from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.org import actions
from manyi.org.models import AuditEntry, Industry, Role, Staff, Unit, UnitKind


def _audits(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def test_create_unit_builds_the_path_and_audits(world):
    outlet = actions.create_unit(
        actor=world.head,
        parent=world.south,
        kind=UnitKind.OUTLET,
        name="深圳南山店",
        code="S2",
        industry=Industry.CAR_DEALER,
    )
    assert outlet.path == f"{world.south.path}{outlet.pk}/"
    assert outlet.company_id == world.company.pk
    assert outlet.depth == 2
    entry = _audits(outlet).get()
    assert entry.action == "create" and entry.actor == world.head


@pytest.mark.parametrize(
    ("parent", "kind", "field"),
    [
        ("company", UnitKind.OUTLET, "parent"),
        ("east", UnitKind.REGION, "parent"),
        ("east1", UnitKind.OUTLET, "parent"),
        ("company", UnitKind.COMPANY, "kind"),
    ],
)
def test_tree_shape_is_enforced(world, parent, kind, field):
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=world.head,
            parent=getattr(world, parent),
            kind=kind,
            name="x",
            code="X9",
            industry=Industry.OTHER,
        )
    assert exc.value.field_errors()[0][0] == field
    assert not Unit.objects.filter(code="X9").exists()


def test_outlet_needs_an_industry(world):
    with pytest.raises(InvalidInput) as exc:
        actions.create_unit(
            actor=world.head, parent=world.east, kind=UnitKind.OUTLET, name="无行业", code="E9"
        )
    assert exc.value.field == "industry"


def test_unit_code_is_unique_within_the_company_only(world):
    with pytest.raises(InvalidInput):
        actions.create_unit(
            actor=world.head,
            parent=world.east,
            kind=UnitKind.OUTLET,
            name="重复",
            code="E1",
            industry=Industry.OTHER,
        )
    # The other company may use the same code.
    actions.create_unit(
        actor=world.other_head,
        parent=world.other_outlet.parent,
        kind=UnitKind.OUTLET,
        name="同码",
        code="E1",
        industry=Industry.OTHER,
    )


@pytest.mark.parametrize(
    "persona", ["manager", "rep", "tech", "sales", "analyst", "outsider", "other_head"]
)
def test_only_unit_managers_in_scope_create_units(world, persona):
    with pytest.raises(OutOfScope):
        actions.create_unit(
            actor=fresh_user(world.users[persona]),
            parent=world.east,
            kind=UnitKind.OUTLET,
            name="x",
            code="X1",
            industry=Industry.OTHER,
        )
    assert not Unit.objects.filter(code="X1").exists()


def test_update_unit_records_the_change(world):
    actions.update_unit(actor=world.head, unit=world.east1, name="上海徐汇旗舰店")
    world.east1.refresh_from_db()
    assert world.east1.name == "上海徐汇旗舰店"
    entry = _audits(world.east1).filter(action="update").get()
    assert entry.changes == {"name": ["上海徐汇店", "上海徐汇旗舰店"]}


def test_update_without_change_writes_no_audit(world):
    actions.update_unit(actor=world.head, unit=world.east1, name="上海徐汇店")
    assert not _audits(world.east1).filter(action="update").exists()


def test_company_cannot_be_deactivated(world):
    with pytest.raises(InvalidInput):
        actions.update_unit(actor=world.head, unit=world.company, is_active=False)


def test_create_staff(world):
    staff = actions.create_staff(
        actor=world.head,
        unit=world.east2,
        username="newtech",
        name="李工",
        role=Role.TECHNICIAN,
        password="Strong-pass-99",
    )
    assert staff.user.check_password("Strong-pass-99")
    assert staff.company_id == world.company.pk
    assert _audits(staff).get().changes["role"] == [None, "technician"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "head"}, "username"),
        ({"username": "HEAD"}, "username"),
        ({"password": "123"}, "password"),
        ({"name": ""}, "name"),
        ({"role": "boss"}, "role"),
    ],
)
def test_create_staff_rejects_bad_input(world, changes, field):
    data = {
        "username": "someone",
        "name": "某人",
        "role": Role.FRONTLINE,
        "password": "Strong-pass-99",
        **changes,
    }
    with pytest.raises(InvalidInput) as exc:
        actions.create_staff(actor=world.head, unit=world.east1, **data)
    assert exc.value.field_errors()[0][0] == field
    assert not Staff.objects.filter(name="某人").exists()


def test_manager_adds_staff_to_own_outlet_only(world):
    manager = fresh_user(world.manager)
    actions.create_staff(
        actor=manager,
        unit=world.east1,
        username="s2",
        name="导购二",
        role=Role.FRONTLINE,
        password="Strong-pass-99",
    )
    with pytest.raises(OutOfScope):
        actions.create_staff(
            actor=manager,
            unit=world.east2,
            username="s3",
            name="导购三",
            role=Role.FRONTLINE,
            password="Strong-pass-99",
        )


def test_manager_cannot_grant_department_head(world):
    with pytest.raises(OutOfScope):
        actions.create_staff(
            actor=fresh_user(world.manager),
            unit=world.east1,
            username="boss",
            name="老板",
            role=Role.DEPARTMENT_HEAD,
            password="Strong-pass-99",
        )


def test_update_staff_moves_and_deactivates(world):
    staff = world.tech.staff
    actions.update_staff(actor=world.head, staff=staff, unit=world.east2, is_active=False)
    staff.refresh_from_db()
    staff.user.refresh_from_db()
    assert staff.unit == world.east2 and not staff.user.is_active
    changes = _audits(staff).filter(action="update").get().changes
    assert set(changes) == {"unit", "is_active"}


def test_cannot_deactivate_yourself(world):
    with pytest.raises(InvalidInput):
        actions.update_staff(actor=world.head, staff=world.head.staff, is_active=False)


def test_change_password(world):
    actions.change_password(
        user=world.sales, old_password="Test-pass-2026", new_password="Another-pass-77"
    )
    assert world.sales.check_password("Another-pass-77")
    with pytest.raises(InvalidInput) as exc:
        actions.change_password(user=world.sales, old_password="wrong", new_password="x")
    assert exc.value.field == "old_password"


def test_tokens_store_only_a_digest_and_can_be_revoked(world):
    token, raw = actions.create_api_token(user=world.sales, name="脚本")
    assert raw.startswith("manyi_") and raw not in token.digest
    assert actions.user_for_token(raw) == world.sales
    actions.revoke_api_token(user=world.sales, token_id=token.pk)
    assert actions.user_for_token(raw) is None
    assert actions.user_for_token("manyi_forged") is None


def test_cannot_revoke_someone_elses_token(world):
    token, _raw = actions.create_api_token(user=world.sales, name="t")
    with pytest.raises(NotFound):
        actions.revoke_api_token(user=world.tech, token_id=token.pk)


def test_token_of_deactivated_user_stops_working(world):
    _token, raw = actions.create_api_token(user=world.sales, name="t")
    world.sales.is_active = False
    world.sales.save()
    assert actions.user_for_token(raw) is None


def test_audit_entries_are_append_only(world):
    entry = AuditEntry.objects.first()
    entry.object_repr = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_delete_empty_unit_only(world, make_customer):
    from manyi.errors import Conflict

    empty = actions.create_unit(
        actor=world.head,
        parent=world.south,
        kind=UnitKind.OUTLET,
        name="空门店",
        code="S9",
        industry=Industry.OTHER,
    )
    actions.delete_unit(actor=world.head, unit=empty)
    assert not Unit.objects.filter(code="S9").exists()
    assert AuditEntry.objects.filter(object_type="org.unit", action="delete").exists()
    make_customer(outlet=world.east2)
    for busy in (world.east, world.east1, world.east2, world.company):
        with pytest.raises(Conflict):
            actions.delete_unit(actor=world.head, unit=busy)
    with pytest.raises(OutOfScope):
        actions.delete_unit(actor=fresh_user(world.manager), unit=world.south1)
