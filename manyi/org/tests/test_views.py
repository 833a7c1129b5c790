"""Organisation pages: unit tree, staff, audit log, tokens, password, language, admin."""

import pytest

from conftest import PASSWORD
from manyi.org.models import ApiToken, Staff, Unit


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_login_page_is_chinese_by_default(client, db):
    html = client.get("/login/").content.decode()
    assert 'lang="zh-hans"' in html


def test_language_switch_to_english(client, world):
    login(client, "head")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and "Customers" in html


def test_login_and_logout(client, world):
    response = client.post("/login/", {"username": "sales", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, world):
    response = client.post("/login/", {"username": "sales", "password": "nope"})
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


_EVERYTHING = {
    "My jobs",
    "Work queue",
    "Complaints",
    "Take a complaint",
    "Customers",
    "Organisation",
    "Staff",
    "Audit log",
    "Business calendar",
    "Instruments",
    "Surveys",
    "Survey follow-ups",
    "Complaint analytics",
    "Survey results",
    "Problems to solve",
    "My actions",
    "Team",
    "Service quality",
    "Cockpit",
    "Loop closure",
    "Service gap",
    "Word of mouth",
    "Voice of the customer",
    "Weekly reports",
    "Message delivery",
    "Notification settings",
}


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("head", _EVERYTHING),
        (
            "tech",
            {
                "My jobs",
                "Work queue",
                "Complaints",
                "Customers",
                "Organisation",
                "Staff",
                "Problems to solve",
                "My actions",
                "Team",
                "Notification settings",
            },
        ),
        (
            "auditor",
            {
                "Organisation",
                "Staff",
                "Problems to solve",
                "My actions",
                "Team",
                "Service quality",
                "Notification settings",
            },
        ),
        ("outsider", {"Notification settings"}),
    ],
)
def test_navigation_follows_the_role(client, world, persona, visible):
    login(client, persona)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    labels = {item["label"] for item in client.get("/").context["nav_items"]}
    assert labels - {"Home"} == visible


def test_unit_tree_shows_only_the_subtree(client, world):
    login(client, "rep")
    html = client.get("/units/").content.decode()
    assert "上海徐汇店" in html and "杭州西湖店" in html and "广州天河店" not in html
    assert client.get(f"/units/{world.south1.pk}/").status_code == 404


def test_head_adds_an_outlet_and_sees_the_history(client, world):
    login(client, "head")
    response = client.post(
        f"/units/{world.south.pk}/add/",
        {"kind": "outlet", "name": "深圳南山店", "code": "S2", "industry": "car_dealer"},
    )
    unit = Unit.objects.get(code="S2")
    assert response["Location"] == f"/units/{unit.pk}/"
    client.post(
        f"/units/{unit.pk}/edit/",
        {"name": "深圳南山旗舰店", "code": "S2", "industry": "car_dealer", "is_active": "on"},
    )
    html = client.get(f"/units/{unit.pk}/").content.decode()
    assert "深圳南山旗舰店" in html and "深圳南山店" in html  # history shows the old name


def test_bad_unit_input_is_shown_on_the_form(client, world):
    login(client, "head")
    response = client.post(
        f"/units/{world.east.pk}/add/", {"kind": "outlet", "name": "无行业", "code": "E1"}
    )
    form = response.context["form"]
    assert "industry" in form.errors or "code" in form.errors
    assert Unit.objects.filter(name="无行业").count() == 0


def test_manager_cannot_edit_units(client, world):
    login(client, "manager")
    assert client.get(f"/units/{world.east1.pk}/edit/").status_code == 403


def test_staff_create_and_edit(client, world):
    login(client, "manager")
    response = client.post(
        "/staff/new/",
        {
            "username": "newsales",
            "name": "新导购",
            "role": "frontline",
            "unit": world.east1.pk,
            "password": "Strong-pass-99",
        },
    )
    staff = Staff.objects.get(name="新导购")
    assert response["Location"] == f"/staff/{staff.pk}/"
    client.post(
        f"/staff/{staff.pk}/", {"name": "新导购", "role": "technician", "unit": world.east1.pk}
    )
    staff.refresh_from_db()
    assert staff.role == "technician" and not staff.user.is_active  # unchecked box: disabled


def test_manager_cannot_place_staff_outside_scope(client, world):
    login(client, "manager")
    response = client.post(
        "/staff/new/",
        {
            "username": "x1",
            "name": "越权",
            "role": "frontline",
            "unit": world.south1.pk,
            "password": "Strong-pass-99",
        },
    )
    assert response.status_code == 200 and not Staff.objects.filter(name="越权").exists()


def test_staff_list_filters(client, world):
    login(client, "head")
    response = client.get("/staff/?role=technician")
    assert [s.name for s in response.context["page"].items] == ["tech"]
    partial = client.get("/staff/?q=sal", HTTP_HX_REQUEST="true")
    assert "sales" in partial.content.decode()


def test_audit_log_needs_the_right(client, world):
    login(client, "sales")
    assert client.get("/audit/").status_code == 403
    client.logout()
    login(client, "head")
    assert client.get("/audit/").context["page"].items


def test_token_page_shows_the_token_once(client, world):
    login(client, "sales")
    response = client.post("/account/tokens/", {"name": "手机脚本"})
    raw = response.context["created"]
    assert raw.startswith("manyi_") and raw in response.content.decode()
    token = ApiToken.objects.get()
    assert raw not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_password_change(client, world):
    login(client, "sales")
    bad = client.post(
        "/account/password/", {"old_password": PASSWORD, "new_password": "a", "new_password2": "b"}
    )
    assert bad.status_code == 200
    ok = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password": "New-pass-2027",
            "new_password2": "New-pass-2027",
        },
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # still logged in


def test_admin_is_for_superusers_only(client, world, django_user_model):
    world.head.is_staff = True
    world.head.save()
    login(client, "head")
    assert client.get("/admin/").status_code == 302
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.logout()
    login(client, "root")
    assert client.get("/admin/").status_code == 200


def test_home_offers_adding_customers_only_to_editors(client, world, make_customer):
    make_customer()
    login(client, "analyst")
    assert "/customers/new/" not in client.get("/").content.decode()
    client.logout()
    login(client, "sales")
    assert "/customers/new/" in client.get("/").content.decode()


def test_an_english_browser_still_gets_chinese_until_the_switch(client, world):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in html
