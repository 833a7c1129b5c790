"""Builder pages: happy paths, htmx fragments, wrong role, outsider, other company."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import PASSWORD
from manyi.instruments import actions
from manyi.instruments.models import Instrument, Item, VersionStatus
from manyi.instruments.queries import content_of

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def head(client, world):
    return login(client, world.head)


@pytest.fixture
def draft(world):
    instrument = actions.create_instrument(
        actor=world.head, data={"code": "sat", "name": "本店满意度问卷", "kind": "survey"}
    )
    version = instrument.versions.get()
    actions.add_factor(actor=world.head, version=version, data={"code": "F1", "name": "服务"})
    for code in ("q1", "q2"):
        actions.add_item(
            actor=world.head,
            version=version,
            data={
                "code": code,
                "type": "scale",
                "text": f"题目{code}",
                "points": 5,
                "factor": "F1",
            },
        )
    return version


def item_post(**overrides):
    data = {
        "code": "q9",
        "type": "scale",
        "text": "服务人员是否准时？",
        "weight": "1",
        "required": "on",
        "points": "5",
        "start": "1",
        "label_low": "很差",
        "label_high": "很好",
        "scored": "on",
    }
    data.update(overrides)
    return data


def test_list_shows_own_and_built_in(head, draft, builtins, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = head.get(reverse("instruments:list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "本店满意度问卷" in text and "售后服务满意度指数调研（CSI）" in text
    assert reverse("instruments:list") in text  # the menu entry


def test_create_then_land_in_the_builder(head, world):
    response = head.post(
        reverse("instruments:create"),
        {"code": "new-one", "name": "新问卷", "kind": "audit", "paging": "item"},
    )
    instrument = Instrument.objects.get(company=world.company, code="new-one")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "instruments:version", args=[instrument.versions.get().pk]
    )
    page = head.get(response["Location"])
    assert page.status_code == 200 and 'id="builder"' in page.content.decode()


def test_create_with_a_bad_code_shows_the_error(head):
    response = head.post(
        reverse("instruments:create"), {"code": "有 空格", "name": "x", "kind": "survey"}
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()


def test_builder_page_within_a_query_budget(head, draft, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = head.get(reverse("instruments:version", args=[draft.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "题目q1" in text and 'data-testid="publish"' in text


def test_add_an_item_with_htmx_returns_the_builder(head, draft):
    url = reverse("instruments:item-add", args=[draft.pk])
    form = head.get(url + f"?section={draft.sections.get().pk}", **HTMX)
    assert form.status_code == 200 and "<form" in form.content.decode()
    response = head.post(url, item_post(section=str(draft.sections.get().pk), factor="F1"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#builder"
    assert "服务人员是否准时？" in response.content.decode()
    item = draft.items.get(code="q9")
    assert (item.points, item.label_low, item.factor.code) == (5, "很差", "F1")


def test_item_errors_come_back_on_the_form(head, draft):
    url = reverse("instruments:item-add", args=[draft.pk])
    section = str(draft.sections.get().pk)
    response = head.post(
        url,
        item_post(code="q1", type="single", options="a | 好 | 1", section=section),
        **HTMX,
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    text = response.content.decode()
    assert 'class="card form b-item-form"' in text and "field-error" in text
    assert not draft.items.filter(type="single").exists()


def test_choices_and_conditions_through_the_form(head, draft):
    url = reverse("instruments:item-add", args=[draft.pk])
    section = str(draft.sections.get().pk)
    response = head.post(
        url,
        item_post(
            code="why",
            type="multiple",
            options="slow | 太慢 | \nrude | 态度差 | -1",
            show_if_item="q1",
            show_if_op="<=",
            show_if_value="2",
            section=section,
        ),
    )
    assert response.status_code == 302
    item = draft.items.get(code="why")
    assert item.options == [
        {"value": "slow", "label": "太慢", "score": None},
        {"value": "rude", "label": "态度差", "score": -1.0},
    ]
    assert item.show_if == {"item": "q1", "op": "<=", "value": 2}
    # The edit form shows them back as typed.
    page = head.get(reverse("instruments:item-edit", args=[item.pk]))
    assert "slow | 太慢 |" in page.content.decode()


def test_edit_move_and_delete_items_with_htmx(head, draft):
    q1, q2 = draft.items.order_by("position")
    response = head.post(
        reverse("instruments:item-edit", args=[q2.pk]),
        item_post(code="q2", text="改过的题目", section=str(q2.section_id)),
        **HTMX,
    )
    assert response.status_code == 200 and "改过的题目" in response.content.decode()
    response = head.post(
        reverse("instruments:item-move", args=[q2.pk]), {"direction": "up"}, **HTMX
    )
    assert response.status_code == 200
    assert list(draft.items.order_by("position").values_list("code", flat=True)) == ["q2", "q1"]
    response = head.post(reverse("instruments:item-delete", args=[q1.pk]), **HTMX)
    assert response.status_code == 200
    assert not Item.objects.filter(pk=q1.pk).exists()


def test_a_refused_move_is_shown_in_the_builder(head, world, draft):
    q1 = draft.items.get(code="q1")
    actions.add_item(
        actor=world.head,
        version=draft,
        data={
            "code": "q3",
            "type": "text",
            "text": "原因",
            "show_if": {"item": "q2", "op": "answered"},
        },
    )
    q3 = draft.items.get(code="q3")
    response = head.post(
        reverse("instruments:item-move", args=[q3.pk]), {"direction": "up"}, **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="builder-error"' in response.content.decode()
    assert draft.items.get(code="q3").position == 2 and q1.position == 0


def test_sections_with_htmx(head, draft):
    response = head.post(
        reverse("instruments:section-add", args=[draft.pk]), {"title": "第二部分"}, **HTMX
    )
    assert response.status_code == 200 and "第二部分" in response.content.decode()
    second = draft.sections.get(title="第二部分")
    response = head.post(
        reverse("instruments:section-move", args=[second.pk]), {"direction": "up"}, **HTMX
    )
    assert draft.sections.order_by("position").first() == second
    response = head.post(reverse("instruments:section-delete", args=[second.pk]), **HTMX)
    assert response.status_code == 200 and draft.sections.count() == 1


def test_factors_and_scoring_settings(head, draft):
    url = reverse("instruments:factor-add", args=[draft.pk])
    head.post(url, {"code": "F2", "name": "环境", "weight": "35"})
    f2 = draft.factors.get(code="F2")
    assert f2.weight == 35
    head.post(
        reverse("instruments:factor-edit", args=[f2.pk]),
        {"code": "F2", "name": "环境", "weight": "20", "importance_of": "F1"},
    )
    f2.refresh_from_db()
    assert f2.weight == 20 and f2.importance_of.code == "F1"
    response = head.post(
        reverse("instruments:scoring", args=[draft.pk]),
        {"missing_rule": "zero", "band_basis": "index", "bands": "90 优秀\n60 合格"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.missing_rule == "zero"
    assert draft.bands == [{"min": 90.0, "label": "优秀"}, {"min": 60.0, "label": "合格"}]
    head.post(reverse("instruments:factor-delete", args=[f2.pk]))
    assert not draft.factors.filter(code="F2").exists()


def test_publish_then_edit_starts_a_new_draft(head, draft):
    response = head.post(reverse("instruments:publish", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    # The frozen version's builder has no edit controls, and edits are refused.
    page = head.get(reverse("instruments:version", args=[draft.pk])).content.decode()
    assert 'data-testid="publish"' not in page and 'data-testid="add-item"' not in page
    response = head.post(
        reverse("instruments:item-add", args=[draft.pk]), item_post(), HTTP_REFERER="/instruments/"
    )
    assert response.status_code == 302
    assert not draft.items.filter(code="q9").exists()
    response = head.post(reverse("instruments:draft", args=[draft.instrument_id]))
    v2 = draft.instrument.versions.get(number=2)
    assert response["Location"] == reverse("instruments:version", args=[v2.pk])


def test_publishing_an_empty_draft_says_why(head, world):
    instrument = actions.create_instrument(
        actor=world.head, data={"code": "empty", "name": "空", "kind": "survey"}
    )
    version = instrument.versions.get()
    response = head.post(reverse("instruments:publish", args=[version.pk]), follow=True)
    assert "sections" in response.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_preview_renders_the_form_and_scores_a_post(head, draft):
    url = reverse("instruments:preview", args=[draft.pk])
    page = head.get(url).content.decode()
    assert 'data-testid="phone"' in page and 'name="q1"' in page
    response = head.post(url, {"q1": "5", "q2": "3"})
    text = response.content.decode()
    # (100 + 50) / 2 = 75
    assert 'data-testid="preview-result"' in text and ">75.0<" in text
    response = head.post(url, {"q1": "9"})
    text = response.content.decode()
    assert "q-has-error" in text and 'data-testid="preview-result"' not in text


def test_export_and_import_round_trip(head, world, draft):
    response = head.get(reverse("instruments:export", args=[draft.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="sat-v1.json"'
    content = json.loads(response.content)
    assert content["format"] == "manyi-instrument/1" and "ids" not in content
    content["code"] = "sat-2"
    upload = SimpleUploadedFile("sat.json", json.dumps(content).encode(), "application/json")
    response = head.post(reverse("instruments:import"), {"file": upload})
    assert response.status_code == 302
    imported = Instrument.objects.get(company=world.company, code="sat-2")
    assert content_of(imported.versions.get())["sections"] == content["sections"]


def test_import_of_bad_json_lists_the_fields(head, world):
    response = head.post(reverse("instruments:import"), {"text": "{oops"})
    assert response.status_code == 200
    assert "JSON" in response.content.decode()
    item = {"code": "q1", "type": "scale", "text": "t", "points": 99}
    bad = {"format": "manyi-instrument/1", "code": "x", "name": "x", "kind": "survey"}
    bad["sections"] = [{"items": [item]}]
    response = head.post(reverse("instruments:import"), {"text": json.dumps(bad)})
    text = response.content.decode()
    assert 'data-testid="import-problems"' in text and "sections[0].items[0].points" in text
    assert not Instrument.objects.filter(company=world.company).exists()


def test_copy_a_built_in_template(head, world, builtins):
    csi = Instrument.objects.get(company__isnull=True, code="csi").versions.get()
    response = head.post(
        reverse("instruments:copy", args=[csi.pk]), {"code": "our-csi", "name": "我们的CSI"}
    )
    copy = Instrument.objects.get(company=world.company, code="our-csi")
    assert response["Location"] == reverse("instruments:version", args=[copy.versions.get().pk])
    # The built-in itself offers no editing.
    page = head.get(reverse("instruments:version", args=[csi.pk])).content.decode()
    assert 'data-testid="add-item"' not in page


def test_discard_a_draft(head, world, draft):
    response = head.post(reverse("instruments:discard", args=[draft.pk]))
    assert response["Location"] == reverse("instruments:list")
    assert not Instrument.objects.filter(company=world.company).exists()


# -- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "rep", "tech", "analyst", "auditor"])
def test_other_roles_are_refused(client, world, draft, who):
    login(client, getattr(world, who))
    for url in (
        reverse("instruments:list"),
        reverse("instruments:version", args=[draft.pk]),
        reverse("instruments:preview", args=[draft.pk]),
    ):
        assert client.get(url).status_code == 403
    response = client.post(reverse("instruments:publish", args=[draft.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    page = client.get(reverse("home")).content.decode()
    assert reverse("instruments:list") not in page


def test_outsider_and_anonymous(client, world, draft):
    response = client.get(reverse("instruments:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    login(client, world.outsider)
    assert client.get(reverse("instruments:list")).status_code == 403


def test_another_company_sees_nothing_of_ours(client, world, draft, builtins):
    login(client, world.other_head)
    item = draft.items.first()
    assert client.get(reverse("instruments:version", args=[draft.pk])).status_code == 404
    assert client.get(reverse("instruments:detail", args=[draft.instrument_id])).status_code == 404
    assert client.get(reverse("instruments:export", args=[draft.pk])).status_code == 404
    response = client.post(reverse("instruments:item-delete", args=[item.pk]), **HTMX)
    assert response.status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()
    page = client.get(reverse("instruments:list")).content.decode()
    assert "本店满意度问卷" not in page and "售后服务满意度指数调研（CSI）" in page
