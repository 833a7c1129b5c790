"""The authorisation matrix, generated from the scope module (DESIGN: "tested as a matrix of
role × action × scope").

One demo company is built once for the module. The department head crawls every page they can
reach (one or two paths per URL name) and the API's read operations come from the OpenAPI
document. Marker records are planted: a customer, a work order and a complaint in the south
region, a work order in the east outlet assigned to another technician, a customer of another
company. Then every persona of every role requests every page and API read, and:

- nothing answers 5xx;
- a page that answers 200 carries the Content-Security-Policy and no inline script;
- a marker shows only to the roles whose ``Perm`` and subtree (``Scope.covers``) allow it —
  and a technician sees only their own cases, a shopper no customer at all, a role without
  ``VIEW_PHONE`` no full phone number;
- the marker records' own pages and API reads answer 200 exactly when the scope allows them,
  otherwise 403/404 (or the login page for a user without a login).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from manyi.tests import crawl as crawler

pytestmark = pytest.mark.django_db

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SOUTH_NAME = "南区标记顾客"
SOUTH_PHONE = "13700000002"
EAST_NAME = "东区标记顾客"
EAST_PHONE = "13700000001"
OTHER_COMPANY_NAME = "别家标记顾客"
OTHER_TECH_TEXT = "他人工单标记"
SOUTH_CASE_TEXT = "南区工单标记"
SOUTH_COMPLAINT_TEXT = "南区投诉标记"


@dataclass
class Persona:
    name: str
    user: object


@dataclass
class Marker:
    """A string that shows only to users who may see ``unit``'s records of one kind."""

    text: str
    unit: object
    perm: str
    # A technician sees this only if the case is assigned to them (cases only).
    assignee_id: int | None = None
    company_id: int | None = None


def _build(tmp_media):
    from django.contrib.auth import get_user_model

    from manyi.cases.models import Case
    from manyi.complaints.models import Complaint
    from manyi.customers.models import Customer
    from manyi.demo import build_demo
    from manyi.org import actions as org_actions
    from manyi.org.models import Role, Staff, Unit, UnitKind
    from manyi.org.scopes import Perm

    company = build_demo(customers=40)
    users = {s.user.username: s.user for s in Staff.objects.filter(company=company)}
    east1 = Unit.objects.get(company=company, code="SH-PAINT-01")
    south = Unit.objects.get(company=company, code="R-SOUTH")
    south_outlets = Unit.objects.filter(path__startswith=south.path, kind=UnitKind.OUTLET)
    personas = {
        "head": users["admin"],
        "admin_role": users["sysadmin"],
        "manager": users["manager"],
        "rep": users["rep"],
        "tech": users["tech"],
        "inspector": users["inspector"],
        "sales": users["sales"],
        "auditor": users["auditor"],
        "analyst": users["analyst"],
        "shopper": users["shopper"],
    }
    south_manager = Staff.objects.filter(unit__in=south_outlets, role=Role.OUTLET_MANAGER).first()
    personas["south_manager"] = south_manager.user
    personas["outsider"] = get_user_model().objects.create_user("outsider-x", password="x")
    other = org_actions.create_company(name="别家公司", code="OTHERX")
    other_head = get_user_model().objects.create_user("other_head-x", password="x")
    Staff.objects.create(
        user=other_head, company=other, unit=other, role=Role.DEPARTMENT_HEAD, name="别家"
    )
    personas["other_head"] = other_head
    other_region = org_actions.create_unit(
        actor=other_head, parent=other, kind=UnitKind.REGION, code="OXR", name="别家片区"
    )
    other_outlet = org_actions.create_unit(
        actor=other_head,
        parent=other_region,
        kind=UnitKind.OUTLET,
        code="OX1",
        name="别家门店",
        industry="other",
    )
    from manyi.customers.actions import create_customer

    other_customer = create_customer(
        actor=other_head,
        data={"name": OTHER_COMPANY_NAME, "phone": "13700000004", "home_outlet": other_outlet},
    )

    # Markers on demo records (renamed in place: the records keep their real history).
    south_wo = Case.objects.filter(kind="workorder", unit__in=south_outlets).first()
    Customer.objects.filter(pk=south_wo.customer_id).update(name=SOUTH_NAME, phone=SOUTH_PHONE)
    Case.objects.filter(pk=south_wo.pk).update(title=SOUTH_CASE_TEXT)
    south_complaint = (
        Complaint.objects.select_related("case").filter(case__unit__in=south_outlets).first()
    )
    Case.objects.filter(pk=south_complaint.case_id).update(title=SOUTH_COMPLAINT_TEXT)
    tech_staff = personas["tech"].staff
    other_tech_case = (
        Case.objects.filter(kind="workorder", unit=east1)
        .exclude(assignee=tech_staff)
        .exclude(assignee=None)
        .first()
    )
    Case.objects.filter(pk=other_tech_case.pk).update(title=OTHER_TECH_TEXT)
    # A customer without cases: a technician sees their phone masked everywhere.
    east_customer = create_customer(
        actor=personas["head"],
        data={"name": EAST_NAME, "phone": EAST_PHONE, "home_outlet": east1},
    )
    south_outlet = Unit.objects.get(pk=south_wo.unit_id)

    markers = [
        Marker(SOUTH_NAME, south_outlet, Perm.VIEW_CUSTOMERS),
        Marker(SOUTH_CASE_TEXT, south_outlet, Perm.VIEW_CASES, south_wo.assignee_id),
        Marker(
            SOUTH_COMPLAINT_TEXT,
            Unit.objects.get(pk=south_complaint.case.unit_id),
            Perm.VIEW_CASES,
            south_complaint.case.assignee_id,
        ),
        Marker(OTHER_TECH_TEXT, east1, Perm.VIEW_CASES, other_tech_case.assignee_id),
        Marker(OTHER_COMPANY_NAME, other_outlet, Perm.VIEW_CUSTOMERS),
        # Full phone numbers: only with VIEW_PHONE.
        Marker(EAST_PHONE, east1, Perm.VIEW_PHONE),
        Marker(SOUTH_PHONE, south_outlet, Perm.VIEW_PHONE),
    ]
    objects = {
        "south_customer": (south_wo.customer_id, south_outlet, Perm.VIEW_CUSTOMERS, None),
        "east_customer": (east_customer.pk, east1, Perm.VIEW_CUSTOMERS, None),
        "other_customer": (other_customer.pk, other_outlet, Perm.VIEW_CUSTOMERS, None),
        "south_case": (south_wo.pk, south_outlet, Perm.VIEW_CASES, south_wo.assignee_id),
        "other_tech_case": (
            other_tech_case.pk,
            east1,
            Perm.VIEW_CASES,
            other_tech_case.assignee_id,
        ),
        "south_complaint": (
            south_complaint.case_id,
            Unit.objects.get(pk=south_complaint.case.unit_id),
            Perm.VIEW_CASES,
            south_complaint.case.assignee_id,
        ),
    }
    return company, personas, markers, objects


def _may_see(user, perm, unit, assignee_id=None) -> bool:
    from manyi.org.models import Role
    from manyi.org.scopes import scope_for

    scope = scope_for(user)
    if not scope.can(perm) or not scope.covers(unit):
        return False
    if scope.role == Role.TECHNICIAN and perm == "view_cases":
        return assignee_id == scope.staff_id
    if scope.role == Role.SHOPPER:
        return False
    return True


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo company, its personas and markers, and the head's crawl (built once)."""
    media = tmp_path_factory.mktemp("media")
    overrides = {
        "PASSWORD_HASHERS": MD5,
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        "MANYI_SMS_BACKEND": "locmem",
        "AXES_ENABLED": False,
        "STORAGES": {
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media)},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        "WHITENOISE_USE_FINDERS": True,
    }
    with django_db_blocker.unblock(), override_settings(**overrides):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            company, personas, markers, objects = _build(media)
            head = Client()
            head.force_login(personas["head"])
            start = ["/"] + [
                reverse(name)
                for name, route in crawler.url_patterns()
                if "<" not in route
                and not route.startswith(crawler.SKIP_PREFIXES[1:])
                and not route.startswith(("api/", "admin/", "i18n/", "logout/"))
            ]
            start += _object_pages(objects)
            pages = crawler.crawl(head, start)
            yield {
                "company": company,
                "personas": personas,
                "markers": markers,
                "objects": objects,
                "pages": pages,
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _object_pages(objects) -> list[str]:
    return [
        reverse("customers:detail", args=[objects["south_customer"][0]]),
        reverse("customers:detail", args=[objects["east_customer"][0]]),
        reverse("cases:detail", args=[objects["south_case"][0]]),
        reverse("cases:detail", args=[objects["other_tech_case"][0]]),
        reverse("cases:detail", args=[objects["south_complaint"][0]]),
    ]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _forbidden_markers(user, markers, company=None) -> list[str]:
    from manyi.org.models import Unit
    from manyi.org.scopes import scope_for

    scope = scope_for(user)
    out = []
    if company is not None and scope.company_id != company.pk:
        # Another company's login (or none) never reads this company's outlets' names.
        out += list(Unit.objects.filter(company=company).values_list("name", flat=True))
    for m in markers:
        if m.perm == "view_phone":
            # A full number shows only to VIEW_PHONE roles covering the customer's outlet,
            # and to a technician only for the customers of their own open cases (none here).
            if not (scope.can(m.perm) and scope.covers(m.unit)) or scope.role == "technician":
                out.append(m.text)
        elif not _may_see(user, m.perm, m.unit, m.assignee_id):
            out.append(m.text)
    return out


def _check_body(failures, who, path, response, forbidden) -> None:
    ctype = response.get("Content-Type", "")
    if not ctype.startswith(("text/", "application/json")):
        return
    body = response.content.decode(errors="replace")
    if ctype.startswith("application/json"):
        # JSON escapes CJK as \\uXXXX unless told not to; compare on the decoded text.
        try:
            body = json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            pass
    for text in forbidden:
        if text in body:
            failures.append(f"{who} GET {path}: shows {text!r}")
    if response.status_code == 200 and ctype.startswith("text/html"):
        if "default-src 'self'" not in response.get("Content-Security-Policy", ""):
            failures.append(f"{who} GET {path}: no Content-Security-Policy")
        for script in crawler.inline_scripts(body):
            failures.append(f"{who} GET {path}: inline script {script!r}")


def test_every_page_for_every_role(matrix):
    """Every persona × every page the head reaches: no 5xx, no marker they may not see,
    the CSP on every HTML page and no inline script in it."""
    pages = matrix["pages"]
    assert len(pages.pages) > 120, sorted(pages.pages)
    broken = {p: s for p, s in pages.statuses.items() if s >= 500}
    assert not broken
    failures: list[str] = []
    paths = [paths[0] for paths in pages.pages.values()] + _object_pages(matrix["objects"])
    for who, user in matrix["personas"].items():
        client = _client(user)
        forbidden = _forbidden_markers(user, matrix["markers"], matrix["company"])
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500:
                failures.append(f"{who} GET {path}: {response.status_code}")
                continue
            _check_body(failures, who, path, response, forbidden)
    assert not failures, "\n".join(failures[:60])


def _api_reads() -> list[str]:
    from manyi.api import api

    schema = api.get_openapi_schema(path_prefix="/api")
    return [path for path, ops in schema["paths"].items() if "get" in ops]


def _fill(path: str, objects, head_client) -> str | None:
    """A concrete path for an OpenAPI path template: marker records by collection, else the
    first item the head's list of the same collection returns."""
    params = re.findall(r"\{(\w+)\}", path)
    if not params:
        return path
    if len(params) > 1:
        return None
    collection = path.split("{", 1)[0].rstrip("/")
    by_collection = {
        "/api/v1/customers": objects["south_customer"][0],
        "/api/v1/cases": objects["south_case"][0],
        "/api/v1/work-orders": objects["south_case"][0],
        "/api/v1/complaints": objects["south_complaint"][0],
    }
    value = by_collection.get(collection)
    if value is None:
        response = head_client.get(collection)
        if response.status_code != 200:
            return None
        data = response.json()
        items = data.get("items", data) if isinstance(data, dict) else data
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            return None
        value = items[0].get("id")
        if value is None:
            return None
    return re.sub(r"\{\w+\}", str(value), path)


def test_every_api_read_for_every_role(matrix):
    """Every persona × every API read of the OpenAPI document: no 5xx, no marker they may
    not see; outside the company not even the names of its units."""
    head = _client(matrix["personas"]["head"])
    paths = [p for p in (_fill(p, matrix["objects"], head) for p in _api_reads()) if p]
    assert len(paths) > 60
    failures: list[str] = []
    for who, user in matrix["personas"].items():
        client = _client(user)
        forbidden = _forbidden_markers(user, matrix["markers"], matrix["company"])
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500:
                failures.append(f"{who} GET {path}: {response.status_code}")
                continue
            _check_body(failures, who, path, response, forbidden)
    assert not failures, "\n".join(failures[:60])


@pytest.mark.parametrize(
    "kind",
    [
        "south_customer",
        "east_customer",
        "other_customer",
        "south_case",
        "other_tech_case",
        "south_complaint",
    ],
)
def test_own_and_other_unit_records(matrix, kind):
    """A record's page and API read answer 200 exactly when the scope allows it."""
    pk, unit, perm, assignee_id = matrix["objects"][kind]
    if kind.endswith("customer"):
        urls = [reverse("customers:detail", args=[pk]), f"/api/v1/customers/{pk}"]
    else:
        urls = [reverse("cases:detail", args=[pk]), f"/api/v1/cases/{pk}"]
    failures = []
    for who, user in matrix["personas"].items():
        allowed = _may_see(user, perm, unit, assignee_id)
        client = _client(user)
        for url in urls:
            status = client.get(url).status_code
            ok = status == 200 if allowed else status in (401, 403, 404)
            if not ok:
                failures.append(f"{who} {url}: {status} (allowed={allowed})")
    assert not failures, "\n".join(failures)


def test_every_form_refuses_a_post_without_the_csrf_token(matrix):
    """Every URL a page posts to (forms, hx-post/put/patch/delete), and every page URL, with
    a logged-in session but no CSRF token: 403. The public survey page included."""
    pages = matrix["pages"]
    assert len(pages.writes) > 40, sorted(pages.writes)
    client = Client(enforce_csrf_checks=True)
    client.force_login(matrix["personas"]["head"])
    targets = sorted(pages.writes | set(pages.paths()))
    refused = []
    for path in targets:
        if crawler.url_name(path) in TOKEN_CREDENTIAL_VIEWS:
            continue
        response = client.post(path, {"x": "1"})
        if response.status_code != 403:
            refused.append(f"POST {path}: {response.status_code}")
    assert not refused, "\n".join(refused[:40])
    assert len(targets) > 150


# The customer's survey pages need no login: the unguessable link is the credential, so they
# carry no CSRF token (surveys/views_public.py). A post without a valid link is refused.
TOKEN_CREDENTIAL_VIEWS = {
    "survey_public:answer",
    "survey_public:save",
    "survey_public:walk-in",
}


def test_survey_links_are_the_credential(matrix):
    """Without a valid token the customer's pages refuse a post; with one, they show no
    customer's data but the greeting — never another invitation's customer or answers."""
    from manyi.customers.models import Customer
    from manyi.surveys.models import Invitation

    client = Client(enforce_csrf_checks=True)
    for path in ("/s/not-a-token/", "/s/not-a-token/save/", "/s/w/not-a-token/"):
        assert client.post(path, {"q1": "5"}).status_code in (400, 404, 410)
    names = set(Customer.objects.filter(company=matrix["company"]).values_list("name", flat=True))
    phones = set(Customer.objects.filter(company=matrix["company"]).values_list("phone", flat=True))
    invitations = list(Invitation.objects.filter(company=matrix["company"])[:8])
    assert invitations
    for invitation in invitations:
        body = client.get(f"/s/{invitation.token}/").content.decode()
        leaked = [n for n in names if len(n) > 1 and n in body]
        leaked += [p for p in phones if p in body]
        assert not leaked, (invitation.token, leaked[:3])


def _may_write(user, perm, unit, assignee_id=None, *, case=False) -> bool:
    from manyi.org.models import Role
    from manyi.org.scopes import scope_for

    scope = scope_for(user)
    if not scope.can(perm) or not scope.covers(unit):
        return False
    # A technician works only the cases assigned to them.
    return not (case and scope.role == Role.TECHNICIAN and assignee_id != scope.staff_id)


@pytest.mark.parametrize("kind", ["south_case", "other_tech_case"])
def test_writes_for_a_sample_note_on_a_case(matrix, kind):
    """A note on a case (page form): written exactly when the role works cases in that
    subtree (a technician: only their own); refused otherwise, with nothing written."""
    from manyi.cases.models import Case, CaseEvent

    pk, unit, _perm, assignee_id = matrix["objects"][kind]
    failures = []
    for who, user in matrix["personas"].items():
        allowed = _may_write(user, "work_cases", unit, assignee_id, case=True)
        before = CaseEvent.objects.filter(case_id=pk).count()
        version = Case.objects.get(pk=pk).version
        response = _client(user).post(
            reverse("cases:note", args=[pk]), {"text": f"{who} 记", "version": version}
        )
        written = CaseEvent.objects.filter(case_id=pk).count() - before
        if response.status_code >= 500 or written != (1 if allowed else 0):
            failures.append(f"{who}: {response.status_code}, wrote {written} (allowed={allowed})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", ["south_customer", "east_customer", "other_customer"])
def test_writes_for_a_sample_customer_edit_in_the_api(matrix, kind):
    """PATCH a customer's notes: 200 exactly when EDIT_CUSTOMERS covers the customer."""
    from manyi.customers.models import Customer

    pk, unit, _perm, _assignee = matrix["objects"][kind]
    failures = []
    for who, user in matrix["personas"].items():
        allowed = _may_write(user, "edit_customers", unit)
        response = _client(user).patch(
            f"/api/v1/customers/{pk}", {"notes": who}, content_type="application/json"
        )
        changed = Customer.objects.get(pk=pk).notes == who
        if response.status_code >= 500 or changed != allowed:
            failures.append(f"{who}: {response.status_code}, changed={changed} ({allowed=})")
    assert not failures, "\n".join(failures)
