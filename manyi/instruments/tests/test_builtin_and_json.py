"""Built-in templates from the seeds; import and export of an instrument as JSON."""

import json

import pytest

from manyi.errors import InvalidInput, both_languages
from manyi.instruments import actions
from manyi.instruments.builtin import load_builtins, templates
from manyi.instruments.definition import FORMAT
from manyi.instruments.models import Instrument, VersionStatus
from manyi.instruments.queries import content_of, definition_for
from manyi.instruments.scoring import score

CODES = {"csi", "dealer-csi-19", "feedback-form", "install-inquiry", "nps", "csat"}


def builtin(code):
    instrument = Instrument.objects.get(company__isnull=True, code=code)
    return instrument, instrument.versions.get()


def test_the_migration_loaded_every_template_published(db):
    load_builtins()
    # Other apps add their own templates (team: CSAS …); these six are the instruments' own.
    codes = set(Instrument.objects.filter(company__isnull=True).values_list("code", flat=True))
    assert codes >= CODES
    for code in CODES:
        instrument, version = builtin(code)
        assert instrument.source, code
        assert version.status == VersionStatus.PUBLISHED and version.definition
    # Idempotent.
    assert load_builtins() == 0


def test_csi_has_the_five_factors_of_004_with_quality_at_35(builtins):
    _instrument, version = builtin("csi")
    definition = definition_for(version)
    weights = {f.name: f.weight for f in definition.factors}
    assert weights == {
        "服务启动": 16.25,
        "服务顾问": 16.25,
        "服务设施": 16.25,
        "交车": 16.25,
        "服务质量": 35.0,
    }
    per_factor = {f.code: 0 for f in definition.factors}
    for item in definition.items:
        if item.factor:
            per_factor[item.factor] += 1
    assert sorted(per_factor.values()) == [3, 3, 3, 3, 4]  # 3–4 attributes each (004 §3.1.3)
    assert "35%" in _instrument.description and "假设" in _instrument.description
    # Everything 5 except service quality at 3: (4 × 100 × 16.25 + 50 × 35) / 100 = 82.5
    answers = {item.code: 5 for item in definition.items if item.type == "scale"}
    for item in definition.items:
        if item.factor == "quality":
            answers[item.code] = 3
    assert score(definition, answers).index == pytest.approx(82.5)


def test_dealer_survey_keeps_the_19_items_in_the_seed_order(builtins):
    _instrument, version = builtin("dealer-csi-19")
    definition = definition_for(version)
    assert [i.code for i in definition.items] == [f"q{n}" for n in range(1, 20)]
    assert definition.item("q1").text == "服务顾问及时接待进店顾客"
    assert definition.item("q15").text == "车辆一次性修复率"


def test_inquiry_asks_why_only_when_not_satisfied(builtins):
    _instrument, version = builtin("install-inquiry")
    definition = definition_for(version)
    assert score(definition, {"satisfied": "satisfied", "reasons": ["other"]}).hidden == {
        "reasons",
        "detail",
    }
    result = score(definition, {"satisfied": "not_satisfied", "reasons": ["time"]})
    assert result.index == 0 and not result.hidden


# -- JSON ----------------------------------------------------------------------------------------


def test_every_template_round_trips_through_export_and_import(world, builtins):
    for code in CODES:
        _instrument, version = builtin(code)
        exported = content_of(version)
        assert "ids" not in exported and exported["format"] == FORMAT
        text = json.dumps(exported, ensure_ascii=False)
        imported = actions.import_instrument(actor=world.head, data=text.encode())
        draft = imported.versions.get()
        assert draft.status == VersionStatus.DRAFT
        assert content_of(draft) == exported
        actions.publish(actor=world.head, version=draft)
        draft.refresh_from_db()
        assert content_of(draft) == exported


def test_the_templates_are_valid_content():
    # clean_content raises on any mistake; load_builtins runs it too.
    from manyi.instruments.definition import clean_content

    for template in templates():
        assert clean_content(template)["code"] == template["code"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"{not json", "file"),
        (b"\xff\xfe", "file"),
        (b"[1, 2]", ""),
        (b"[" * 100_000, "file"),
        (b'{"format": "manyi-instrument/1", "code": "x", "weight": NaN}', "name"),
        (b'{"format": "other/1"}', "format"),
        (json.dumps({"format": FORMAT, "code": "x", "name": "x", "kind": "survey"}), "sections"),
    ],
)
def test_bad_json_is_refused_clearly(world, data, field):
    with pytest.raises(InvalidInput) as exc_info:
        actions.import_instrument(actor=world.head, data=data)
    assert field in [f for f, _m in exc_info.value.errors]
    assert both_languages(exc_info.value.message)["zh"]
    assert not Instrument.objects.filter(company=world.company).exists()


def test_import_errors_carry_the_path_of_each_bad_field(world, builtins):
    _instrument, version = builtin("csat")
    content = content_of(version)
    content["code"] = "mine"
    content["sections"][0]["items"][0]["points"] = 1
    content["sections"][0]["items"][1]["show_if"] = {"item": "zzz", "op": "==", "value": 1}
    content["factors"] = [{"code": "a", "name": "A", "weight": "heavy"}]
    with pytest.raises(InvalidInput) as exc_info:
        actions.import_instrument(actor=world.head, data=content)
    paths = [f for f, _m in exc_info.value.errors]
    assert paths == [
        "factors[0].weight",
        "sections[0].items[0].points",
        "sections[0].items[1].show_if.item",
    ]
    zh = both_languages(exc_info.value.message)["zh"]
    assert "3" in zh and "factors[0].weight" in zh


def test_import_refuses_a_code_the_company_already_has(world, builtins):
    _instrument, version = builtin("nps")
    content = content_of(version)
    actions.import_instrument(actor=world.head, data=content)
    with pytest.raises(InvalidInput) as exc_info:
        actions.import_instrument(actor=world.head, data=content)
    assert exc_info.value.field == "code"
