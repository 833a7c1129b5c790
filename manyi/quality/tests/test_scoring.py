"""Audit scoring with the ranking exercise's weights, checked against a hand computation."""

from __future__ import annotations

import pytest

from manyi.instruments.queries import current_version, definition_for
from manyi.quality.actions import audits
from manyi.quality.models import AuditAnswer, AuditFactorScore, AuditFinding, AuditStatus
from manyi.quality.tests.conftest import codes
from manyi.quality.weights import weigh


def test_borda_weights_sum_to_each_sides_share():
    weighted = weigh(
        [
            (1, "procedural", "A"),
            (2, "procedural", "B"),
            (3, "personal", "C"),
            (4, "personal", "D"),
            (5, "personal", "E"),
        ],
        procedural_share=20,
        ranks={1: 1, 2: 2, 3: 1, 4: 2, 5: 3},
    )
    by_id = {w.standard_id: w for w in weighted}
    assert [by_id[i].points for i in (1, 2, 3, 4, 5)] == [2, 1, 3, 2, 1]
    # 20 × 2/3, 20 × 1/3, 80 × 3/6, 80 × 2/6, 80 × 1/6
    assert [round(by_id[i].weight, 4) for i in (1, 2, 3, 4, 5)] == [
        13.3333,
        6.6667,
        40.0,
        26.6667,
        13.3333,
    ]
    assert sum(w.weight for w in weighted) == pytest.approx(100)


def test_unranked_standards_come_last_and_a_lone_side_carries_everything():
    weighted = weigh(
        [(1, "personal", "X"), (2, "personal", "A"), (3, "personal", "M")],
        procedural_share=20,
        ranks={3: 1},
    )
    assert [(w.standard_id, w.points) for w in weighted] == [(3, 3), (2, 2), (1, 1)]
    assert sum(w.weight for w in weighted) == pytest.approx(100)


def test_template_items_carry_the_ranks_and_sides_carry_the_split(world, template):
    definition = definition_for(current_version(template.instrument))
    factors = {f.code: f.weight for f in definition.factors}
    assert factors == {"procedural": 20.0, "personal": 80.0}
    code = codes(template)
    weights = {c: definition.item(code[c]).weight for c in "ABCDE"}
    assert weights == {"A": 2, "B": 1, "C": 3, "D": 2, "E": 1}
    assert [item.type for item in definition.items] == ["audit"] * 5


def test_audit_score_is_the_hand_computed_sixty(world, template):
    code = codes(template)
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    answers = {
        code["A"]: "met",
        code["B"]: "not_met",
        code["C"]: "partly",
        code["D"]: "met",
        code["E"]: "not_met",
    }
    audit = audits.submit_audit(actor=world.auditor, audit=audit, answers=answers)
    # procedural (2·100 + 1·0)/3 = 66.67; personal (3·50 + 2·100 + 1·0)/6 = 58.33;
    # index = (20 · 66.67 + 80 · 58.33) / 100 = 60.
    assert audit.status == AuditStatus.SUBMITTED
    assert audit.index == pytest.approx(60.0)
    sides = {r.factor.code: r.score for r in AuditFactorScore.objects.filter(audit=audit)}
    assert sides["procedural"] == pytest.approx(200 / 3)
    assert sides["personal"] == pytest.approx(350 / 6)
    assert AuditAnswer.objects.filter(audit=audit).count() == 5
    assert audit.band == "合格"  # 60 reaches the 60 band exactly
    assert audit.month == audit.day.replace(day=1)


def test_not_applicable_drops_out_and_the_rest_reweights(world, template):
    code = codes(template)
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    answers = {
        code["A"]: "na",
        code["B"]: "na",
        code["C"]: "met",
        code["D"]: "not_met",
        code["E"]: "met",
    }
    audit = audits.submit_audit(actor=world.auditor, audit=audit, answers=answers)
    # The procedural side drops out; personal (3·100 + 2·0 + 1·100)/6 = 66.67 is the index.
    assert audit.index == pytest.approx(400 / 6)
    assert not AuditFinding.objects.filter(audit=audit, standard__code__in=["A", "B"]).exists()


def test_submit_needs_every_standard_and_writes_nothing_when_refused(world, template):
    from manyi.errors import InvalidInput

    code = codes(template)
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    with pytest.raises(InvalidInput) as exc:
        audits.submit_audit(actor=world.auditor, audit=audit, answers={code["A"]: "met"})
    assert {f for f, _m in exc.value.errors} == {code[c] for c in "BCDE"}
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DRAFT
    assert not AuditAnswer.objects.filter(audit=audit).exists()


def test_regenerating_after_reranking_changes_new_audits_only(world, five, template):
    from manyi.quality.actions import standards

    standards.set_priorities(
        actor=world.head,
        procedural_share=50,
        ranks={"procedural": [five["B"].pk, five["A"].pk], "personal": []},
    )
    audits.regenerate_template(actor=world.head, template=template)
    version = current_version(template.instrument)
    assert version.number == 2
    definition = definition_for(version)
    code = codes(template)
    assert definition.item(code["B"]).weight == 2
    assert {f.code: f.weight for f in definition.factors} == {
        "procedural": 50.0,
        "personal": 50.0,
    }
