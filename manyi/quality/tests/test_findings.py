"""Submitting an audit records gaps and good practice; a gap becomes an action item; praise is
passed on; walk-arounds and who may audit."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.quality.actions import audits
from manyi.quality.models import ActionStatus, AuditFinding, FindingKind, FindingStatus
from manyi.quality.tests.conftest import codes

TOMORROW = dt.date(2099, 1, 1)


def _submitted(world, template, outlet=None, verdicts=None, actor=None):
    code = codes(template)
    verdicts = verdicts or {"A": "met", "B": "not_met", "C": "partly", "D": "met", "E": "met"}
    actor = actor or world.auditor
    audit = audits.start_audit(actor=actor, outlet=outlet or world.east1, template=template)
    return audits.submit_audit(
        actor=actor,
        audit=audit,
        answers={code[k]: v for k, v in verdicts.items()},
        notes={code["B"]: "高峰时排了5人"},
    )


def test_gaps_and_good_practice_are_recorded_with_stable_ids(world, template):
    audit = _submitted(world, template)
    findings = {f.standard.code: f for f in AuditFinding.objects.filter(audit=audit)}
    assert {k: (f.kind, f.verdict) for k, f in findings.items()} == {
        "A": (FindingKind.RECOGNITION, "met"),
        "B": (FindingKind.GAP, "not_met"),
        "C": (FindingKind.GAP, "partly"),
        "D": (FindingKind.RECOGNITION, "met"),
        "E": (FindingKind.RECOGNITION, "met"),
    }
    assert findings["B"].note == "高峰时排了5人"
    assert len({f.uid for f in findings.values()}) == 5


def test_a_gap_becomes_an_action_item_and_closes_when_done(world, template):
    audit = _submitted(world, template)
    gap = AuditFinding.objects.get(audit=audit, standard__code="B")
    item = audits.create_finding_action(
        actor=world.manager,
        finding=gap,
        description="高峰时段增开收银台",
        owner=world.manager.staff,
        due_on=TOMORROW,
    )
    gap.refresh_from_db()
    assert (gap.status, item.outlet, item.owner) == (
        FindingStatus.ACTED,
        world.east1,
        world.manager.staff,
    )
    with pytest.raises(OutOfScope):
        audits.complete_action(actor=world.sales, item=item)
    item = audits.complete_action(actor=world.manager, item=item, note="已排班")
    gap.refresh_from_db()
    assert (item.status, gap.status) == (ActionStatus.DONE, FindingStatus.CLOSED)
    with pytest.raises(Conflict):
        audits.complete_action(actor=world.manager, item=item)


def test_action_item_rules(world, template):
    audit = _submitted(world, template)
    gap = AuditFinding.objects.get(audit=audit, standard__code="B")
    praise = AuditFinding.objects.get(audit=audit, standard__code="A")
    with pytest.raises(Conflict):
        audits.create_finding_action(
            actor=world.head,
            finding=praise,
            description="x",
            owner=world.manager.staff,
            due_on=TOMORROW,
        )
    with pytest.raises(InvalidInput):  # the owner works at another outlet
        audits.create_finding_action(
            actor=world.head,
            finding=gap,
            description="x",
            owner=world.south_manager.staff,
            due_on=TOMORROW,
        )
    with pytest.raises(InvalidInput):
        audits.create_finding_action(
            actor=world.head,
            finding=gap,
            description="x",
            owner=world.manager.staff,
            due_on=dt.date(2000, 1, 1),
        )
    with pytest.raises(NotFound):  # another outlet's manager does not see it
        audits.create_finding_action(
            actor=world.south_manager,
            finding=gap,
            description="x",
            owner=world.manager.staff,
            due_on=TOMORROW,
        )
    with pytest.raises(OutOfScope):  # auditors record findings, they do not assign work
        audits.create_finding_action(
            actor=world.auditor,
            finding=gap,
            description="x",
            owner=world.manager.staff,
            due_on=TOMORROW,
        )
    with pytest.raises(NotFound):
        audits.create_finding_action(
            actor=world.other_head,
            finding=gap,
            description="x",
            owner=world.manager.staff,
            due_on=TOMORROW,
        )


def test_praise_is_passed_on_once(world, template):
    audit = _submitted(world, template)
    praise = AuditFinding.objects.get(audit=audit, standard__code="A")
    praise = audits.recognise(actor=world.manager, finding=praise, note="晨会表扬了小李")
    assert praise.status == FindingStatus.RECOGNISED and praise.recognised_by == world.manager
    with pytest.raises(Conflict):
        audits.recognise(actor=world.manager, finding=praise)


def test_link_for_the_improvement_cycle(world, template):
    audit = _submitted(world, template)
    gap = AuditFinding.objects.get(audit=audit, standard__code="B")
    gap = audits.link_finding(actor=world.auditor, finding=gap, reference="improvement.problem:7")
    assert gap.reference == "improvement.problem:7"


def test_outlet_manager_walks_around_their_own_outlet_only(world, template, walkaround):
    with pytest.raises(OutOfScope):
        audits.start_audit(actor=world.manager, outlet=world.east1, template=template)
    with pytest.raises(NotFound):
        audits.start_audit(actor=world.manager, outlet=world.south1, template=walkaround)
    audit = _submitted(world, walkaround, actor=world.manager)
    assert audit.is_walkaround and audit.auditor == world.manager.staff


@pytest.mark.parametrize("who", ["sales", "tech", "analyst", "outsider", "other_head"])
def test_others_cannot_audit(world, template, who):
    with pytest.raises((OutOfScope, NotFound)):
        audits.start_audit(actor=world.users[who], outlet=world.east1, template=template)


def test_walkaround_needs_five_to_ten_standards(world, five):
    with pytest.raises(InvalidInput):
        audits.generate_template(
            actor=world.head, name="太短", walkaround=True, standards=[five["A"].pk, five["B"].pk]
        )


def test_draft_belongs_to_its_auditor(world, template):
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    assert audits.start_audit(actor=world.auditor, outlet=world.east1, template=template) == audit
    with pytest.raises(NotFound):
        audits.save_audit(actor=world.head, audit=audit, answers={})
    code = codes(template)
    audit = audits.save_audit(
        actor=world.auditor, audit=audit, answers={code["A"]: "met"}, notes={code["A"]: "很好"}
    )
    assert audit.answers == {code["A"]: "met"} and audit.notes == {code["A"]: "很好"}
    with pytest.raises(InvalidInput):
        audits.save_audit(actor=world.auditor, audit=audit, answers={code["A"]: "excellent"})


def test_photos_are_images_only(world, template):
    from manyi.quality.models import AuditPhoto

    code = codes(template)
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    photo = audits.add_audit_photo(actor=world.auditor, audit=audit, item=code["A"], data=png)
    assert photo.content_type == "image/png" and photo.size == len(png)
    with pytest.raises(InvalidInput):
        audits.add_audit_photo(actor=world.auditor, audit=audit, item=code["A"], data=b"GIF89a")
    assert AuditPhoto.objects.filter(audit=audit).count() == 1
