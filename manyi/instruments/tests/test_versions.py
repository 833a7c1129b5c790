"""Versions: drafts change, published versions never do; publishing freezes and retires."""

import pytest

from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.instruments import actions
from manyi.instruments.models import Instrument, InstrumentVersion, Item, VersionStatus
from manyi.instruments.queries import content_of, current_version, definition_for
from manyi.instruments.scoring import score
from manyi.org.models import AuditEntry


def make(world, code="sat", actor=None):
    instrument = actions.create_instrument(
        actor=actor or world.head,
        data={"code": code, "name": "满意度", "kind": "survey", "paging": "page"},
    )
    return instrument, instrument.versions.get()


def add(world, version, code, **data):
    data = {"code": code, "type": "scale", "text": f"题目{code}", "points": 5, **data}
    return actions.add_item(actor=world.head, version=version, data=data)


@pytest.fixture
def published(world):
    instrument, draft = make(world)
    actions.add_factor(actor=world.head, version=draft, data={"code": "F1", "name": "一"})
    add(world, draft, "q1", factor="F1")
    add(world, draft, "q2", factor="F1", weight=3)
    actions.publish(actor=world.head, version=draft)
    draft.refresh_from_db()
    return instrument, draft


def test_create_gives_an_empty_draft_with_one_section(world):
    instrument, draft = make(world)
    assert instrument.company == world.company
    assert (draft.number, draft.status) == (1, VersionStatus.DRAFT)
    assert draft.sections.count() == 1
    assert AuditEntry.objects.filter(object_type="instruments.instrument", action="create").exists()


def test_publish_freezes_the_content_with_row_ids(world, published):
    instrument, version = published
    assert version.status == VersionStatus.PUBLISHED and version.published_at
    ids = version.definition["ids"]
    assert set(ids["items"]) == {"q1", "q2"}
    assert ids["items"]["q1"] == Item.objects.get(version=version, code="q1").pk
    definition = definition_for(version)
    assert [i.id for i in definition.items] == [ids["items"]["q1"], ids["items"]["q2"]]
    # (100*1 + 50*3) / 4 = 62.5
    assert score(definition, {"q1": 5, "q2": 3}).index == 62.5


def test_a_published_version_never_changes(world, published):
    _instrument, version = published
    item = version.items.get(code="q1")
    section = version.sections.get()
    factor = version.factors.get()
    refused = [
        lambda: actions.add_item(
            actor=world.head, version=version, data={"code": "x", "type": "text", "text": "x"}
        ),
        lambda: actions.update_item(
            actor=world.head, item=item, data={"code": "q1", "type": "yes_no", "text": "x"}
        ),
        lambda: actions.delete_item(actor=world.head, item=item),
        lambda: actions.move_item(actor=world.head, item=item, direction="down"),
        lambda: actions.add_section(actor=world.head, version=version, title="新"),
        lambda: actions.update_section(actor=world.head, section=section, title="新"),
        lambda: actions.delete_section(actor=world.head, section=section),
        lambda: actions.update_factor(
            actor=world.head, factor=factor, data={"code": "F1", "name": "改", "weight": 2}
        ),
        lambda: actions.delete_factor(actor=world.head, factor=factor),
        lambda: actions.update_scoring(
            actor=world.head, version=version, missing_rule="zero", bands=[], band_basis="index"
        ),
        lambda: actions.publish(actor=world.head, version=version),
        lambda: actions.discard_draft(actor=world.head, version=version),
    ]
    frozen = dict(version.definition)
    for attempt in refused:
        with pytest.raises(Conflict):
            attempt()
    version.refresh_from_db()
    assert version.definition == frozen
    assert Item.objects.get(pk=item.pk).type == "scale"


def test_editing_a_published_instrument_starts_a_new_draft_copy(world, published):
    instrument, v1 = published
    v2 = actions.new_draft(actor=world.head, instrument=instrument)
    assert (v2.number, v2.status) == (2, VersionStatus.DRAFT)
    # A second call returns the same draft.
    assert actions.new_draft(actor=world.head, instrument=instrument) == v2
    assert list(v2.items.values_list("code", "weight")) == [("q1", 1.0), ("q2", 3.0)]
    assert v2.items.get(code="q1").factor.version == v2
    q1 = v2.items.get(code="q1")
    actions.update_item(
        actor=world.head, item=q1, data={"code": "q1", "type": "scale", "text": "新题", "points": 7}
    )
    actions.publish(actor=world.head, version=v2)
    v1.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED and v1.retired_at
    # The old version's frozen content still says what it said.
    assert definition_for(v1).item("q1").points == 5
    assert definition_for(v1).item("q1").text == "题目q1"
    assert current_version(instrument).number == 2


def test_discarding_the_only_draft_deletes_the_instrument(world):
    instrument, draft = make(world)
    assert actions.discard_draft(actor=world.head, version=draft) is None
    assert not Instrument.objects.filter(pk=instrument.pk).exists()


def test_publishing_an_empty_draft_is_refused(world):
    _instrument, draft = make(world)
    with pytest.raises(InvalidInput):
        actions.publish(actor=world.head, version=draft)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_retire(world, published):
    _instrument, version = published
    actions.retire(actor=world.head, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.RETIRED
    with pytest.raises(Conflict):
        actions.retire(actor=world.head, version=version)


# -- the builder's rules ---------------------------------------------------------------------


def test_items_reorder_and_conditions_must_refer_backwards(world):
    _instrument, draft = make(world)
    add(world, draft, "q1")
    add(world, draft, "q2", show_if={"item": "q1", "op": "<=", "value": 2})
    add(world, draft, "q3")
    q3 = draft.items.get(code="q3")
    actions.move_item(actor=world.head, item=q3, direction="up")
    assert list(draft.items.order_by("position").values_list("code", flat=True)) == [
        "q1",
        "q3",
        "q2",
    ]
    # q2 reads q1: moving q2 above q1 would break it; nothing changes.
    q2 = draft.items.get(code="q2")
    actions.move_item(actor=world.head, item=q2, direction="up")
    with pytest.raises(Conflict) as exc_info:
        actions.move_item(actor=world.head, item=q2, direction="up")
    assert "q2" in str(exc_info.value.message)
    assert list(draft.items.order_by("position").values_list("code", flat=True)) == [
        "q1",
        "q2",
        "q3",
    ]
    # Nor may q1 be deleted, or turned into a type the condition cannot read.
    q1 = draft.items.get(code="q1")
    with pytest.raises(Conflict):
        actions.delete_item(actor=world.head, item=q1)
    with pytest.raises(InvalidInput):
        actions.update_item(
            actor=world.head, item=q1, data={"code": "q1", "type": "text", "text": "文字"}
        )
    # Renaming q1 carries the condition along.
    actions.update_item(
        actor=world.head, item=q1, data={"code": "first", "type": "scale", "text": "t", "points": 5}
    )
    assert draft.items.get(code="q2").show_if["item"] == "first"


def test_bad_items_name_their_fields(world):
    _instrument, draft = make(world)
    add(world, draft, "q1")
    with pytest.raises(InvalidInput) as exc_info:
        actions.add_item(
            actor=world.head,
            version=draft,
            data={"code": "q1", "type": "scale", "text": "", "points": 20, "factor": "nope"},
        )
    fields = {field for field, _m in exc_info.value.errors}
    assert {"code", "text", "points", "factor"} <= fields
    with pytest.raises(InvalidInput) as exc_info:
        actions.add_item(
            actor=world.head,
            version=draft,
            data={"code": "c", "type": "single", "text": "选", "options": [{"value": "a"}]},
        )
    assert "options" in {field for field, _m in exc_info.value.errors}


def test_factors_weights_and_importance(world):
    _instrument, draft = make(world)
    perf = actions.add_factor(
        actor=world.head, version=draft, data={"code": "perf", "name": "表现", "weight": 35}
    )
    imp = actions.add_factor(
        actor=world.head,
        version=draft,
        data={"code": "imp", "name": "重要性", "weight": 1, "importance_of": "perf"},
    )
    assert imp.importance_of == perf
    with pytest.raises(InvalidInput):
        actions.add_factor(actor=world.head, version=draft, data={"code": "perf", "name": "x"})
    with pytest.raises(InvalidInput):
        actions.add_factor(
            actor=world.head, version=draft, data={"code": "w", "name": "x", "weight": -1}
        )
    add(world, draft, "q1", factor="perf")
    assert actions.delete_factor(actor=world.head, factor=perf) == 1
    assert draft.items.get(code="q1").factor is None
    imp.refresh_from_db()
    assert imp.importance_of is None


def test_sections(world):
    _instrument, draft = make(world)
    second = actions.add_section(actor=world.head, version=draft, title="第二部分")
    add(world, draft, "q1")  # goes to the last section
    assert draft.items.get().section == second
    actions.move_section(actor=world.head, section=second, direction="up")
    assert list(draft.sections.order_by("position").values_list("title", flat=True)) == [
        "第二部分",
        "",
    ]
    actions.delete_section(actor=world.head, section=second)
    assert not draft.items.exists()
    with pytest.raises(Conflict):
        actions.delete_section(actor=world.head, section=draft.sections.get())


# -- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "rep", "tech", "analyst", "outsider"])
def test_only_company_builders_write(world, who):
    with pytest.raises(OutOfScope):
        make(world, actor=getattr(world, who))


def test_another_company_cannot_touch_our_instruments(world, published):
    instrument, version = published
    other = world.other_head
    with pytest.raises(NotFound):
        actions.new_draft(actor=other, instrument=instrument)
    with pytest.raises(NotFound):
        actions.retire(actor=other, version=version)
    with pytest.raises(NotFound):
        actions.update_item(
            actor=other,
            item=version.items.first(),
            data={"code": "q1", "type": "text", "text": "x"},
        )


def test_built_in_templates_are_read_only_but_can_be_copied(world, builtins):
    csi = Instrument.objects.get(company__isnull=True, code="csi")
    with pytest.raises(NotFound):
        actions.new_draft(actor=world.head, instrument=csi)
    v1 = csi.versions.get()
    copy = actions.copy_instrument(actor=world.head, version=v1, code="my-csi")
    draft = copy.versions.get()
    assert copy.company == world.company and draft.is_draft
    assert content_of(draft)["factors"] == content_of(v1)["factors"]
    assert draft.items.count() == v1.items.count()
    with pytest.raises(InvalidInput):
        actions.copy_instrument(actor=world.head, version=v1, code="my-csi")
    # The other company can copy it too, under the same code.
    actions.copy_instrument(actor=world.other_head, version=v1, code="my-csi")
    assert InstrumentVersion.objects.filter(instrument__code="my-csi").count() == 2


def test_draft_edits_write_the_audit_log(world):
    _instrument, draft = make(world)
    item = add(world, draft, "q1")
    actions.update_item(
        actor=world.head, item=item, data={"code": "q1", "type": "scale", "text": "新", "points": 7}
    )
    actions.delete_item(actor=world.head, item=item)
    rows = list(
        AuditEntry.objects.filter(object_type="instruments.item")
        .order_by("id")
        .values_list("action", "changes")
    )
    assert [action for action, _c in rows] == ["create", "update", "delete"]
    assert rows[1][1]["points"] == [5, 7] and rows[1][1]["text"] == ["题目q1", "新"]
    assert rows[1][1]["version"] == "满意度 v1"
