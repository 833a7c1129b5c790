"""The standards library: versions, the approver's four tests, "not observable", the ranking
exercise, the starter library."""

from __future__ import annotations

import pytest

from manyi.errors import Conflict, InvalidInput, OutOfScope
from manyi.org.models import AuditEntry
from manyi.quality.actions import standards
from manyi.quality.models import Standard, StandardStatus, StandardVersion
from manyi.quality.tests.conftest import make_standard


def test_a_new_standard_is_a_draft_version_one_with_its_side(world):
    s = make_standard(world.head, "G-1", "tone_of_voice", "语调友好", approve=False)
    assert (s.status, s.version, s.side) == (StandardStatus.DRAFT, 1, "personal")
    assert s.versions.get().number == 1
    assert AuditEntry.objects.filter(object_type="quality.standard", object_id=str(s.pk)).exists()


def test_without_a_criterion_it_is_not_observable_and_cannot_be_approved(world):
    s = make_standard(
        world.head, "G-2", "attentiveness", "员工对顾客态度友好", criterion="", approve=False
    )
    assert not s.is_observable
    with pytest.raises(InvalidInput) as exc:
        standards.approve_standard(actor=world.head, standard=s, checks=standards.TEST_NAMES)
    assert "criterion" in [f for f, _m in exc.value.errors]
    s.refresh_from_db()
    assert s.status == StandardStatus.DRAFT


def test_approval_needs_all_four_tests_ticked(world):
    s = make_standard(world.head, "G-3", "timeliness", "30秒内招呼", approve=False)
    with pytest.raises(InvalidInput) as exc:
        standards.approve_standard(actor=world.head, standard=s, checks=["clear", "concise"])
    assert [f for f, _m in exc.value.errors] == ["checks"]
    s = standards.approve_standard(actor=world.head, standard=s, checks=standards.TEST_NAMES)
    version = s.versions.get()
    assert s.status == StandardStatus.APPROVED
    assert version.checks == {"clear": True, "concise": True, "observable": True, "realistic": True}
    assert version.approved_by == world.head


def test_editing_an_approved_standard_makes_a_new_version_and_keeps_the_old(world):
    s = make_standard(
        world.head,
        "G-4",
        "timeliness",
        "60秒内招呼",
        criterion="≤60秒",
        criterion_value="60",
        criterion_unit="秒",
    )
    s = standards.update_standard(
        actor=world.head,
        standard=s,
        data={"statement": "30秒内招呼", "criterion": "≤30秒", "criterion_value": "30"},
        change_note="顾客反馈等待太久",
    )
    assert (s.version, s.status) == (2, StandardStatus.DRAFT)
    old, new = s.versions.order_by("number")
    assert (old.statement, old.criterion_value, old.approved_at is not None) == (
        "60秒内招呼",
        60,
        True,
    )
    assert (new.statement, new.change_note, new.approved_at) == (
        "30秒内招呼",
        "顾客反馈等待太久",
        None,
    )
    # A draft version changes in place; metadata never makes a version.
    s = standards.update_standard(actor=world.head, standard=s, data={"criterion": "不超过30秒"})
    s = standards.update_standard(
        actor=world.head, standard=s, data={"owner": world.manager.staff.pk}
    )
    assert StandardVersion.objects.filter(standard=s).count() == 2
    assert s.versions.get(number=2).criterion == "不超过30秒"
    standards.approve_standard(actor=world.head, standard=s, checks=standards.TEST_NAMES)


def test_bad_input_names_the_fields_and_writes_nothing(world):
    make_standard(world.head, "DUP", "flow", "流程")
    with pytest.raises(InvalidInput) as exc:
        standards.create_standard(
            actor=world.head,
            data={
                "code": "DUP",
                "area": "nowhere",
                "statement": "",
                "criterion_unit": "秒",
                "effective_on": "2026-12-01",
                "review_on": "2026-01-01",
            },
        )
    fields = {f for f, _m in exc.value.errors}
    assert {"area", "statement", "criterion", "review_on"} <= fields
    assert Standard.objects.filter(company=world.company).count() == 1


@pytest.mark.parametrize("who", ["auditor", "manager", "analyst", "sales", "outsider"])
def test_only_quality_managers_write_standards(world, who):
    with pytest.raises(OutOfScope):
        standards.create_standard(
            actor=world.users[who], data={"area": "flow", "statement": "x", "criterion": "y"}
        )


def test_another_company_cannot_touch_the_standard(world):
    from manyi.errors import NotFound

    s = make_standard(world.head, "G-5", "flow", "流程")
    with pytest.raises(NotFound):
        standards.update_standard(actor=world.other_head, standard=s, data={"statement": "改"})
    with pytest.raises(Conflict):
        standards.approve_standard(actor=world.head, standard=s, checks=standards.TEST_NAMES)


def test_ranks_must_be_on_their_own_side(world, five):
    with pytest.raises(InvalidInput) as exc:
        standards.set_priorities(
            actor=world.head,
            procedural_share=120,
            ranks={"procedural": [five["C"].pk], "personal": [five["D"].pk, five["D"].pk]},
        )
    assert {"procedural_share", "procedural", "personal"} <= {f for f, _m in exc.value.errors}


def test_an_outlet_may_have_its_own_ranking(world, five):
    from manyi.quality.actions.audits import exercise_for

    company = exercise_for(world.company.pk, world.east1.pk)
    assert company.unit is None and company.procedural_share == 20
    standards.set_priorities(
        actor=world.head,
        unit=world.east1,
        procedural_share=90,
        ranks={"procedural": [], "personal": []},
    )
    assert exercise_for(world.company.pk, world.east1.pk).procedural_share == 90
    assert exercise_for(world.company.pk, world.east2.pk).procedural_share == 20


def test_starter_library_loads_once(world):
    added = standards.load_starter_library(actor=world.head)
    assert added > 40
    assert standards.load_starter_library(actor=world.head) == 0
    rows = Standard.objects.filter(company=world.company)
    assert rows.filter(industry="pharmacy").count() >= 10
    assert rows.filter(industry="car_dealer").count() >= 10
    assert rows.filter(industry="paint_dealer").count() >= 10
    # The seed's "一般标准" stays a draft, flagged not observable.
    vague = rows.get(code="G-06")
    assert vague.status == StandardStatus.DRAFT and not vague.is_observable
    assert set(rows.values_list("area", flat=True)) >= {"timeliness", "appearance", "guidance"}
