"""The API contract of the organisation: authentication, /me, units, staff, personal tokens.

Every error is a JSON problem document (type, title, status, code, detail{zh,en}, errors).
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import PASSWORD, assert_problem, auth, field_names, send
from manyi.org.actions import create_api_token, revoke_api_token
from manyi.org.models import ApiToken, AuditEntry, Role, Staff, Unit
from manyi.org.scopes import ROLE_PERMS

# -- authentication ------------------------------------------------------------------------------


def test_no_token_gets_401_problem(client, world):
    body = assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")
    assert body["errors"] == []


@pytest.mark.parametrize(
    "header",
    [
        "Bearer manyi_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Token manyi_abc",
        "Bearer " + "manyi_" + "x" * 200,
    ],
)
def test_bad_token_gets_401_problem(client, world, header):
    assert_problem(client.get("/api/v1/me", HTTP_AUTHORIZATION=header), 401, "unauthenticated")


def test_revoked_token_gets_401(client, world):
    token, raw = create_api_token(user=world.head, name="short-lived")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **headers).status_code == 200
    revoke_api_token(user=world.head, token_id=token.pk)
    assert_problem(client.get("/api/v1/me", **headers), 401, "unauthenticated")


def test_token_of_deactivated_user_gets_401(client, world):
    headers = auth(world.sales)
    get_user_model().objects.filter(pk=world.sales.pk).update(is_active=False)
    assert_problem(client.get("/api/v1/me", **headers), 401, "unauthenticated")


def test_token_use_is_recorded(client, world):
    token, raw = create_api_token(user=world.rep, name="ci")
    assert token.last_used_at is None
    client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_session_login_authenticates_get(client, world):
    client.login(username="manager", password=PASSWORD)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "manager"


def test_session_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.login(username="head", password=PASSWORD)
    response = client.post(
        "/api/v1/tokens", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert_problem(response, 403)
    assert not ApiToken.objects.filter(user=world.head).exists()


# -- /me -----------------------------------------------------------------------------------------


def test_me_returns_role_unit_and_permissions(client, world):
    body = client.get("/api/v1/me", **auth(world.manager)).json()
    assert body["username"] == "manager"
    assert body["role"] == Role.OUTLET_MANAGER
    assert body["unit_id"] == world.east1.pk
    assert body["company_id"] == world.company.pk
    assert body["permissions"] == sorted(ROLE_PERMS[Role.OUTLET_MANAGER])


def test_me_of_analyst_lacks_phone_and_edit_rights(client, world):
    perms = client.get("/api/v1/me", **auth(world.analyst)).json()["permissions"]
    assert "view_customers" in perms
    assert "view_phone" not in perms
    assert "edit_customers" not in perms


def test_me_of_user_without_staff_record_has_no_permissions(client, world):
    response = client.get("/api/v1/me", **auth(world.outsider))
    assert response.status_code == 200
    body = response.json()
    assert body["role"] is None
    assert body["company_id"] is None
    assert body["permissions"] == []


# -- units ---------------------------------------------------------------------------------------


def unit_ids(response):
    assert response.status_code == 200, response.content[:300]
    return {u["id"] for u in response.json()}


def test_manager_lists_only_their_outlet(client, world):
    assert unit_ids(client.get("/api/v1/units", **auth(world.manager))) == {world.east1.pk}


def test_region_staff_list_their_region_subtree(client, world):
    expected = {world.east.pk, world.east1.pk, world.east2.pk}
    assert unit_ids(client.get("/api/v1/units", **auth(world.rep))) == expected


def test_head_lists_own_company_only(client, world):
    ours = set(Unit.objects.filter(company=world.company).values_list("pk", flat=True))
    assert unit_ids(client.get("/api/v1/units", **auth(world.head))) == ours
    theirs = unit_ids(client.get("/api/v1/units", **auth(world.other_head)))
    assert theirs.isdisjoint(ours)
    assert world.other_outlet.pk in theirs


def test_units_filter_by_kind(client, world):
    ids = unit_ids(client.get("/api/v1/units", {"kind": "outlet"}, **auth(world.head)))
    assert ids == {world.east1.pk, world.east2.pk, world.south1.pk}


def test_outsider_cannot_list_units(client, world):
    assert_problem(client.get("/api/v1/units", **auth(world.outsider)), 403, "out-of-scope")


def test_unit_outside_scope_is_404(client, world):
    headers = auth(world.manager)
    assert client.get(f"/api/v1/units/{world.east1.pk}", **headers).status_code == 200
    assert_problem(client.get(f"/api/v1/units/{world.south1.pk}", **headers), 404, "not-found")
    other = client.get(f"/api/v1/units/{world.other_outlet.pk}", **auth(world.head))
    assert_problem(other, 404, "not-found")


def test_head_creates_region_under_company(client, world):
    body = {"parent_id": world.company.pk, "kind": "region", "name": "华北片区", "code": "N"}
    response = send(client, "post", "/api/v1/units", auth(world.head), body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "region"
    assert created["parent_id"] == world.company.pk
    assert created["company_id"] == world.company.pk
    unit = Unit.objects.get(pk=created["id"])
    assert unit.path == f"{world.company.path}{unit.pk}/"
    assert AuditEntry.objects.filter(object_type="org.unit", object_id=str(unit.pk)).exists()


def test_head_creates_outlet_under_region(client, world):
    body = {
        "parent_id": world.east.pk,
        "kind": "outlet",
        "name": "南京新街口店",
        "code": "E3",
        "industry": "pharmacy",
    }
    response = send(client, "post", "/api/v1/units", auth(world.head), body)
    assert response.status_code == 201, response.content
    assert response.json()["industry"] == "pharmacy"


def test_outlet_under_company_is_422_wrong_parent(client, world):
    before = Unit.objects.count()
    body = {
        "parent_id": world.company.pk,
        "kind": "outlet",
        "name": "直营店",
        "code": "D1",
        "industry": "other",
    }
    problem = assert_problem(
        send(client, "post", "/api/v1/units", auth(world.head), body), 422, "invalid-input"
    )
    # The error names the field of the request body that is wrong.
    assert field_names(problem) == ["parent_id"]
    assert Unit.objects.count() == before


def test_duplicate_unit_code_is_422(client, world):
    body = {"parent_id": world.company.pk, "kind": "region", "name": "又一个", "code": "E"}
    problem = assert_problem(
        send(client, "post", "/api/v1/units", auth(world.head), body), 422, "invalid-input"
    )
    assert field_names(problem) == ["code"]


def test_outlet_without_industry_is_422(client, world):
    body = {"parent_id": world.east.pk, "kind": "outlet", "name": "无行业店", "code": "E9"}
    problem = assert_problem(send(client, "post", "/api/v1/units", auth(world.head), body), 422)
    assert field_names(problem) == ["industry"]
    assert not Unit.objects.filter(code="E9").exists()


def test_manager_cannot_create_units(client, world):
    before = Unit.objects.count()
    body = {
        "parent_id": world.east.pk,
        "kind": "outlet",
        "name": "偷建店",
        "code": "E7",
        "industry": "other",
    }
    assert_problem(
        send(client, "post", "/api/v1/units", auth(world.manager), body), 403, "out-of-scope"
    )
    assert Unit.objects.count() == before


def test_head_patches_unit(client, world):
    url = f"/api/v1/units/{world.east1.pk}"
    response = send(client, "patch", url, auth(world.head), {"name": "上海徐汇旗舰店"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "上海徐汇旗舰店"
    world.east1.refresh_from_db()
    assert world.east1.name == "上海徐汇旗舰店"
    assert world.east1.code == "E1"


def test_manager_cannot_patch_own_outlet(client, world):
    url = f"/api/v1/units/{world.east1.pk}"
    response = send(client, "patch", url, auth(world.manager), {"name": "改名"})
    assert_problem(response, 403, "out-of-scope")
    world.east1.refresh_from_db()
    assert world.east1.name == "上海徐汇店"


def test_company_cannot_be_deactivated(client, world):
    url = f"/api/v1/units/{world.company.pk}"
    problem = assert_problem(
        send(client, "patch", url, auth(world.head), {"is_active": False}), 422
    )
    assert field_names(problem) == ["is_active"]
    world.company.refresh_from_db()
    assert world.company.is_active


# -- staff ---------------------------------------------------------------------------------------


def staff_body(unit, **overrides):
    return {
        "unit_id": unit.pk,
        "username": "newbie",
        "name": "新同事",
        "role": Role.FRONTLINE,
        "password": "Plenty-strong-2026",
        **overrides,
    }


def test_head_creates_staff(client, world):
    response = send(client, "post", "/api/v1/staff", auth(world.head), staff_body(world.east2))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "newbie"
    assert body["unit_id"] == world.east2.pk
    assert body["company_id"] == world.company.pk
    assert body["is_active"] is True
    assert "password" not in body
    assert Client().login(username="newbie", password="Plenty-strong-2026")


def test_weak_password_is_422_on_password(client, world):
    body = staff_body(world.east1, password="123")
    problem = assert_problem(send(client, "post", "/api/v1/staff", auth(world.head), body), 422)
    assert field_names(problem) == ["password"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_duplicate_username_is_422(client, world):
    body = staff_body(world.east1, username="MANAGER")
    problem = assert_problem(send(client, "post", "/api/v1/staff", auth(world.head), body), 422)
    assert field_names(problem) == ["username"]
    assert Staff.objects.filter(user__username__iexact="manager").count() == 1


def test_unknown_role_is_422(client, world):
    body = staff_body(world.east1, role="king")
    problem = assert_problem(send(client, "post", "/api/v1/staff", auth(world.head), body), 422)
    assert field_names(problem) == ["role"]


def test_manager_creates_staff_in_own_outlet(client, world):
    response = send(client, "post", "/api/v1/staff", auth(world.manager), staff_body(world.east1))
    assert response.status_code == 201, response.content


def test_manager_cannot_grant_department_head(client, world):
    body = staff_body(world.east1, role=Role.DEPARTMENT_HEAD)
    assert_problem(send(client, "post", "/api/v1/staff", auth(world.manager), body), 403)
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_manager_cannot_promote_to_admin_by_patch(client, world):
    staff = world.sales.staff
    response = send(
        client, "patch", f"/api/v1/staff/{staff.pk}", auth(world.manager), {"role": Role.ADMIN}
    )
    assert_problem(response, 403)
    staff.refresh_from_db()
    assert staff.role == Role.FRONTLINE


def test_manager_cannot_create_staff_outside_scope(client, world):
    body = staff_body(world.south1)
    problem = assert_problem(send(client, "post", "/api/v1/staff", auth(world.manager), body), 422)
    assert field_names(problem) == ["unit_id"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_staff_list_is_scoped(client, world):
    response = client.get("/api/v1/staff", **auth(world.manager))
    assert response.status_code == 200
    assert {s["username"] for s in response.json()} == {"manager", "tech", "sales"}
    every = {s["username"] for s in client.get("/api/v1/staff", **auth(world.head)).json()}
    assert "south_manager" in every
    assert "other_head" not in every


def test_staff_list_filters_by_role(client, world):
    response = client.get("/api/v1/staff", {"role": Role.OUTLET_MANAGER}, **auth(world.head))
    assert {s["username"] for s in response.json()} == {"manager", "south_manager"}


def test_get_staff_in_and_out_of_scope(client, world):
    headers = auth(world.manager)
    own = client.get(f"/api/v1/staff/{world.sales.staff.pk}", **headers)
    assert own.status_code == 200
    assert own.json()["username"] == "sales"
    far = client.get(f"/api/v1/staff/{world.south_manager.staff.pk}", **headers)
    assert_problem(far, 404, "not-found")


def test_head_patches_staff(client, world):
    staff = world.sales.staff
    response = send(
        client,
        "patch",
        f"/api/v1/staff/{staff.pk}",
        auth(world.head),
        {"name": "前台小李", "unit_id": world.east2.pk},
    )
    assert response.status_code == 200, response.content
    assert response.json()["unit_id"] == world.east2.pk
    staff.refresh_from_db()
    assert (staff.name, staff.unit_id) == ("前台小李", world.east2.pk)


# -- tokens --------------------------------------------------------------------------------------


def test_token_is_shown_once_and_works(client, world):
    response = send(client, "post", "/api/v1/tokens", auth(world.rep), {"name": "报表脚本"})
    assert response.status_code == 201, response.content
    created = response.json()
    raw = created["token"]
    assert raw.startswith("manyi_")
    assert raw.startswith(created["prefix"])
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200
    assert me.json()["username"] == "rep"

    listing = client.get("/api/v1/tokens", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert listing.status_code == 200
    assert raw not in listing.content.decode()
    names = {t["name"]: t for t in listing.json()}
    assert "报表脚本" in names
    assert "token" not in names["报表脚本"]
    assert ApiToken.objects.get(pk=created["id"]).digest != raw


def test_token_list_shows_only_own_tokens(client, world):
    create_api_token(user=world.head, name="head's")
    names = {t["name"] for t in client.get("/api/v1/tokens", **auth(world.rep, "mine")).json()}
    assert names == {"mine"}


def test_deleting_token_revokes_it(client, world):
    headers = auth(world.rep, "keeper")
    created = send(client, "post", "/api/v1/tokens", headers, {"name": "throwaway"}).json()
    victim = {"HTTP_AUTHORIZATION": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", **victim).status_code == 200
    response = client.delete(f"/api/v1/tokens/{created['id']}", **headers)
    assert response.status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).revoked_at is not None
    assert_problem(client.get("/api/v1/me", **victim), 401, "unauthenticated")
    assert client.get("/api/v1/me", **headers).status_code == 200


def test_cannot_revoke_someone_elses_token(client, world):
    token, _raw = create_api_token(user=world.head, name="head's")
    assert_problem(client.delete(f"/api/v1/tokens/{token.pk}", **auth(world.rep)), 404)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_empty_token_name_is_422(client, world):
    response = send(client, "post", "/api/v1/tokens", auth(world.rep), {"name": "   "})
    problem = assert_problem(response, 422)
    assert field_names(problem) == ["name"]


# -- malformed requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[1, 2, 3]",
        '"a string"',
        json.dumps({"parent_id": "east", "kind": "region", "name": "x", "code": "y"}),
        json.dumps({"parent_id": None, "kind": "region", "name": "x", "code": "y"}),
        json.dumps({"parent_id": 1, "kind": "region", "name": ["x"], "code": "y"}),
        json.dumps({"parent_id": 2**70, "kind": "region", "name": "x", "code": "y"}),
        json.dumps({"kind": "region"}),
    ],
)
def test_malformed_unit_body_is_4xx_problem(client, world, body):
    before = Unit.objects.count()
    response = client.post(
        "/api/v1/units", data=body, content_type="application/json", **auth(world.head)
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert_problem(response, response.status_code)
    assert Unit.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/units/99999999999999999999999",
        "/api/v1/units/abc",
        "/api/v1/staff/99999999999999999999999",
        "/api/v1/staff/-1",
        "/api/v1/staff?unit_id=abc",
    ],
)
def test_bad_ids_are_4xx_problem_never_500(client, world, url):
    response = client.get(url, **auth(world.head))
    assert 400 <= response.status_code < 500, response.content[:300]
    assert_problem(response, response.status_code)


def test_revoking_absurd_token_id_is_404(client, world):
    response = client.delete("/api/v1/tokens/99999999999999999999999", **auth(world.head))
    assert 400 <= response.status_code < 500, response.content[:300]
    assert_problem(response, response.status_code)


def test_validation_problem_names_fields(client, world):
    response = send(
        client, "post", "/api/v1/units", auth(world.head), {"parent_id": "x", "kind": "region"}
    )
    problem = assert_problem(response, 422, "invalid-input")
    assert {"parent_id", "name", "code"} <= set(field_names(problem))
    for error in problem["errors"]:
        assert error["message"]["zh"] and error["message"]["en"]


def test_problem_detail_is_in_chinese_and_english(client, world):
    body = assert_problem(client.get("/api/v1/me"), 401)
    # Chinese first: the zh text is a translation, not the English source text again.
    assert body["detail"]["zh"] != body["detail"]["en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]["zh"])


# -- documentation -------------------------------------------------------------------------------


def test_openapi_schema_is_served(client, world):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "manyi API"
    for path in ("/api/v1/me", "/api/v1/units", "/api/v1/customers", "/api/v1/tokens"):
        assert path in schema["paths"]


def test_api_docs_page_is_served(client, world):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_outsider_cannot_read_a_unit_by_id(client, world):
    # A user with a login but no staff record sees no unit, by id either.
    body = assert_problem(
        client.get(f"/api/v1/units/{world.east1.pk}", **auth(world.outsider)), 403
    )
    assert world.east1.name not in json.dumps(body, ensure_ascii=False)


def test_unknown_api_path_is_a_json_problem(client, world):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["detail"]["zh"] and body["detail"]["en"]


def test_delete_unit_and_disable_staff_over_the_api(client, world):
    from manyi.org.actions import create_api_token, create_unit
    from manyi.org.models import Industry, Unit, UnitKind

    _token, raw = create_api_token(user=world.head, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    empty = create_unit(
        actor=world.head,
        parent=world.south,
        kind=UnitKind.OUTLET,
        name="空",
        code="S9",
        industry=Industry.OTHER,
    )
    assert client.delete(f"/api/v1/units/{empty.pk}", **auth).status_code == 204
    assert not Unit.objects.filter(pk=empty.pk).exists()
    busy = client.delete(f"/api/v1/units/{world.east1.pk}", **auth)
    assert busy.status_code == 409 and busy.json()["code"] == "conflict"
    tech = world.tech.staff
    assert client.delete(f"/api/v1/staff/{tech.pk}", **auth).status_code == 204
    tech.user.refresh_from_db()
    assert not tech.user.is_active
