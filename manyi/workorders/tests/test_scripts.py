"""Scripts (话术): the seed of 002 第四章 per company, and the pages that manage them."""

import pytest

from conftest import PASSWORD
from manyi.org.models import AuditEntry
from manyi.workorders import script_actions
from manyi.workorders.models import Script, ScriptStep
from manyi.workorders.seed_scripts import SEED, fill_company, seed_scripts


def test_seed_covers_every_step_and_names_no_brand():
    assert {step for step, *_rest in SEED} == set(ScriptStep.values)
    for _step, title, body, source in SEED:
        assert "三棵树" not in title + body
        assert source.startswith("002 ")
        assert len(title) <= 100


def test_seeding_is_idempotent_and_per_company(world):
    assert seed_scripts(world.company) == len(SEED)
    assert seed_scripts(world.company) == 0
    assert Script.objects.filter(company=world.company).count() == len(SEED)
    assert not Script.objects.filter(company=world.other_company).exists()
    assert seed_scripts(world.other_company) == len(SEED)
    first = Script.objects.filter(company=world.company, step="first_call").first()
    assert first.position == 0 and first.source == "002 第四章"
    assert "{公司}" in first.body


def test_a_company_with_its_own_scripts_is_left_alone(world):
    script_actions.create_script(actor=world.head, step="first_call", title="我们的话", body="您好")
    assert seed_scripts(world.company) == 0
    assert Script.objects.filter(company=world.company).count() == 1


def test_the_placeholder_is_filled_with_the_company_name():
    assert fill_company("我是{公司}售后服务员XXX", "测试公司") == "我是测试公司售后服务员XXX"


def test_data_migration_seeds_existing_companies(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("manyi.workorders.migrations.0004_seed_scripts")
    migration.seed(apps, None)
    migration.seed(apps, None)
    for company in (world.company, world.other_company):
        assert Script.objects.filter(company=company).count() == len(SEED)


# -- actions ----------------------------------------------------------------------------------


def test_reorder_within_a_step(world):
    seed_scripts(world.company)
    first, second = Script.objects.filter(company=world.company, step="first_call")[:2]
    script_actions.move_script(actor=world.head, script=second, direction="up")
    order = list(
        Script.objects.filter(company=world.company, step="first_call").values_list("pk", flat=True)
    )
    assert order[:2] == [second.pk, first.pk]
    # The top one cannot go higher; nothing changes.
    script_actions.move_script(actor=world.head, script=second, direction="up")
    assert Script.objects.get(pk=second.pk).position == 0


def test_actions_write_the_audit_log(world):
    script = script_actions.create_script(
        actor=world.admin_role, step="acceptance", title="验收", body="您好"
    )
    script_actions.update_script(
        actor=world.admin_role, script=script, step="objections", title="验收", body="您好！"
    )
    script_actions.delete_script(actor=world.admin_role, script=script.pk)
    actions = list(
        AuditEntry.objects.filter(object_type="workorders.script")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


# -- pages ------------------------------------------------------------------------------------


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_list_shows_scripts_by_step_with_the_company_name(client, world):
    seed_scripts(world.company)
    response = login(client, "tech").get("/scripts/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "我是测试公司售后服务员XXX" in text and "{公司}" not in text
    assert "/scripts/new/" not in text  # staff read; managers edit


def test_empty_list_offers_the_seed_to_managers(client, world):
    client = login(client, "head")
    assert "/scripts/seed/" in client.get("/scripts/").content.decode()
    response = client.post("/scripts/seed/")
    assert response.status_code == 302
    assert Script.objects.filter(company=world.company).count() == len(SEED)


def test_add_edit_move_delete_through_the_pages(client, world):
    client = login(client, "head")
    assert client.get("/scripts/new/?step=acceptance").status_code == 200
    response = client.post(
        "/scripts/new/", {"step": "acceptance", "title": "验收问候", "body": "您好，{公司}验收员"}
    )
    assert response.status_code == 302
    script = Script.objects.get(company=world.company, title="验收问候")
    assert client.get(f"/scripts/{script.pk}/edit/").status_code == 200
    response = client.post(
        f"/scripts/{script.pk}/edit/",
        {"step": "acceptance", "title": "验收问候", "body": "您好，我是{公司}验收员"},
    )
    assert response.status_code == 302
    script.refresh_from_db()
    assert script.body == "您好，我是{公司}验收员"
    other = script_actions.create_script(
        actor=world.head, step="acceptance", title="第二", body="再见"
    )
    response = client.post(f"/scripts/{other.pk}/move/", {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith("#step-acceptance")
    other.refresh_from_db()
    assert other.position == 0
    assert client.post(f"/scripts/{script.pk}/delete/").status_code == 302
    assert not Script.objects.filter(pk=script.pk).exists()


def test_bad_input_shows_the_errors(client, world):
    client = login(client, "head")
    response = client.post("/scripts/new/", {"step": "nowhere", "title": "", "body": ""})
    assert response.status_code == 200
    assert not Script.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"step", "title", "body"}


def test_move_with_a_bad_direction_is_refused(client, world):
    script = script_actions.create_script(actor=world.head, step="last_call", title="a", body="b")
    response = login(client, "head").post(f"/scripts/{script.pk}/move/", {"direction": "left"})
    assert response.status_code == 302  # back with the message; nothing moved
    script.refresh_from_db()
    assert script.position == 0


@pytest.mark.parametrize("username", ["manager", "rep", "tech", "inspector", "analyst"])
def test_other_roles_cannot_change_scripts(client, world, username):
    script = script_actions.create_script(actor=world.head, step="last_call", title="a", body="b")
    client = login(client, username)
    assert client.get("/scripts/new/").status_code == 403
    assert (
        client.post("/scripts/new/", {"step": "last_call", "title": "x", "body": "y"}).status_code
        == 403
    )
    assert client.post(f"/scripts/{script.pk}/delete/").status_code == 403
    assert client.post("/scripts/seed/").status_code == 403
    assert Script.objects.count() == 1


@pytest.mark.parametrize("username", ["auditor", "outsider"])
def test_no_access_to_the_list_without_cases(client, world, username):
    assert login(client, username).get("/scripts/").status_code == 403


def test_another_companys_script_is_not_found(client, world):
    theirs = script_actions.create_script(
        actor=world.other_head, step="last_call", title="别家", body="别家的话"
    )
    client = login(client, "head")
    assert client.get(f"/scripts/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/scripts/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/scripts/{theirs.pk}/move/", {"direction": "up"}).status_code == 404
    assert "别家的话" not in client.get("/scripts/").content.decode()
    assert Script.objects.filter(pk=theirs.pk).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/scripts/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_scripts_beside_a_stage_name_the_company(world):
    from manyi.workorders.scripts import scripts_for
    from manyi.workorders.seed_scripts import seed_scripts

    seed_scripts(world.company)
    scripts = scripts_for(world.company.pk, "contact")
    assert scripts and all("{公司}" not in s.filled for s in scripts)
    assert any(world.company.name in s.filled for s in scripts)
    assert scripts_for(world.company.pk, "intake") == []
