"""API fuzzing (schemathesis): every operation of the OpenAPI schema, as several roles.

Requests generated from the schema — valid and invalid bodies, queries and path parameters, the
path's ids often pointing at real records — are sent through the WSGI application with each
persona's token. Nothing may answer 5xx, and every 4xx must be a problem document.

CI runs a few examples per operation and role; ``MANYI_FUZZ_EXAMPLES=50`` runs the full fuzz
(see docs/reliability.md, "API fuzzing").
"""

from __future__ import annotations

import os
import traceback
from collections import Counter
from contextlib import contextmanager

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import PROBLEM_KEYS, auth, send

EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "3"))
ROLES = ("head", "rep", "tech", "shopper", "outsider")

# Where a path parameter's real ids come from: by name, or by the collection for "pk".
ID_SOURCES = {
    "action_id": "improvement.ActionItem",
    "appraisal_id": "team.Appraisal",
    "campaign_id": "surveys.Campaign",
    "case_id": "cases.Case",
    "certificate_id": "team.Certificate",
    "commitment_id": "team.Commitment",
    "course_id": "team.Course",
    "customer_id": "customers.Customer",
    "idea_id": "improvement.Idea",
    "instrument_id": "instruments.Instrument",
    "measure_id": "improvement.Measure",
    "notification_id": "notify.Notification",
    "message_id": "notify.Message",
    "problem_id": "improvement.Problem",
    "purchase_id": "customers.Purchase",
    "resolution_id": "complaints.Resolution",
    "review_id": "team.LeadershipReview",
    "round_id": "team.AssessmentRound",
    "session_id": "improvement.Session",
    "staff_id": "org.Staff",
    "token_id": "org.ApiToken",
    "unit_id": "org.Unit",
    "version_id": "instruments.InstrumentVersion",
    "pk:standards": "quality.Standard",
    "pk:mystery-programs": "quality.ShoppingProgram",
    "pk:action-items": "quality.ActionItem",
    "pk:audit-findings": "quality.AuditFinding",
}


def _ids(label: str) -> list[int]:
    try:
        model = apps.get_model(label)
    except LookupError:
        return []
    return list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:50])


@contextmanager
def wsgi_in_test_transaction():
    """Call the WSGI app inside the test's transaction (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def data_set(world, make_customer, licensed_tech):
    """A little of everything, so that real ids lead somewhere."""
    from manyi.complaints.actions import open_complaint
    from manyi.instruments.builtin import load_builtins
    from manyi.org import actions as org
    from manyi.org.models import Role
    from manyi.workorders.actions import take_order

    load_builtins()
    customer = make_customer()
    take_order(actor=world.sales, customer=customer, site_address="漕溪北路88号", products="漆")
    open_complaint(actor=world.sales, customer=customer, description="墙面起泡")
    shopper = org.create_staff(
        actor=world.head, unit=world.company, username="shopper", name="神秘顾客",
        role=Role.SHOPPER, password="Test-pass-2026",
    )  # fmt: skip
    world.users["shopper"] = shopper.user
    return world


@pytest.fixture
def licensed_tech(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save(update_fields=["work_licence"])
    return world.tech


def _personas(world) -> dict[str, tuple]:
    """Who the roles are: their login, role and unit (the fuzz may change them; see below)."""
    from manyi.org.models import Staff

    result = {}
    for role in ROLES:
        user = getattr(world, role)
        staff = Staff.objects.filter(user=user).values_list("pk", "role", "unit_id").first()
        result[role] = (user.pk, staff)
    return result


def _restore(personas) -> dict[str, dict[str, str]]:
    """Undo what earlier requests did to the personas (a disabled login, a revoked token, a new
    role): each operation is fuzzed by the same five people, each with a fresh token."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from manyi.org.actions import create_api_token
    from manyi.org.models import ApiToken, Staff

    users = get_user_model().objects.in_bulk([pk for pk, _staff in personas.values()])
    get_user_model().objects.filter(pk__in=users).update(is_active=True)
    ApiToken.objects.filter(user__in=users, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    headers = {}
    for role, (user_pk, staff) in personas.items():
        if staff is not None:
            staff_pk, staff_role, unit_id = staff
            Staff.objects.filter(pk=staff_pk).update(role=staff_role, unit_id=unit_id)
        _token, raw = create_api_token(user=users[user_pk], name="fuzz")
        headers[role] = {"Authorization": f"Bearer {raw}"}
    return headers


def _is_problem(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and PROBLEM_KEYS <= set(body)
        and body["status"] == response.status_code
        and isinstance(body["detail"], dict)
        and set(body["detail"]) == {"zh", "en"}
    )


def test_no_server_errors_and_every_refusal_is_a_problem(data_set):
    from manyi.api import api

    world = data_set
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = get_wsgi_application()
    personas = _personas(world)
    headers: dict[str, dict[str, str]] = {}
    pools = {name: _ids(label) for name, label in ID_SOURCES.items()}
    failures: list[str] = []
    errors: list[str] = []
    sent = 0
    answered: dict[str, Counter] = {role: Counter() for role in ROLES}

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    def check(op, case, role):
        nonlocal sent
        errors.clear()
        response = case.call(headers=headers[role])
        sent += 1
        status = response.status_code
        answered[role][status // 100] += 1
        where = f"{op.method.upper()} {case.formatted_path} as {role}"
        if status >= 500:
            detail = errors[-1] if errors else response.text[:300]
            failures.append(f"{where}: {status}\n  body={case.body!r:.300}\n{detail}")
        elif status >= 400 and not _is_problem(response):
            failures.append(f"{where}: {status} not a problem document: {response.text[:200]}")

    got_request_exception.connect(record)
    operations = [result.ok() for result in schema.get_all_operations()]
    try:
        with wsgi_in_test_transaction():
            for op in operations:
                headers.update(_restore(personas))
                _fuzz(op, pools, lambda case, op=op: [check(op, case, role) for role in ROLES])
    finally:
        got_request_exception.disconnect(record)
    assert not failures, "\n".join(failures[:40])
    # Every operation was tried at least once as every role.
    assert sent >= len(operations) * len(ROLES)
    # The tokens worked: every role but the outsider got some answers (what it may read).
    assert all(answered[role][2] for role in ROLES if role != "outsider"), answered
    if os.environ.get("MANYI_FUZZ_REPORT"):
        print({role: dict(counts) for role, counts in answered.items()}, sent)  # noqa: T201


def _fuzz(op, pools, send) -> None:
    """Generate requests for one operation; real ids in the path half of the time."""
    collection = op.path.split("/")[3] if op.path.count("/") >= 3 else ""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=EXAMPLES <= 3,  # CI: the same requests every run; a full run explores
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(), data=st.data())
    def run(case, data):
        for name in list(case.path_parameters or {}):
            pool = pools.get(name) or pools.get(f"pk:{collection}")
            if pool and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(pool))
        send(case)

    run()


BOUNDARY_IDS = (0, -1, 2**31, 2**63, 2**64 + 1)


def test_out_of_range_ids_in_paths_are_refused_cleanly(world, client):
    """Every path with an id, at the edges of the integer types: a 4xx problem, never a 500."""
    from manyi.api import api

    headers = auth(world.head)
    failures = []
    client.raise_request_exception = False
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, spec in operations.items():
            params = [p for p in spec.get("parameters", []) if p["in"] == "path"]
            if not params:
                continue
            for value in BOUNDARY_IDS:
                url = path
                for param in params:
                    kind = param.get("schema", {}).get("type")
                    url = url.replace(
                        "{" + param["name"] + "}", str(value) if kind == "integer" else "x" * 300
                    )
                response = getattr(client, method)(url, content_type="application/json", **headers)
                if response.status_code >= 500 or (
                    response.status_code >= 400 and not _is_problem(response)
                ):
                    failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


def _resolve(spec: dict, components: dict) -> dict:
    while "$ref" in spec:
        spec = components[spec["$ref"].split("/")[-1]]
    return spec


def _edge_body(spec: dict, components: dict, big: int):
    """A body where every integer (and list of integers) is ``big`` and the rest is plain."""
    spec = _resolve(spec, components)
    options = spec.get("anyOf") or spec.get("oneOf")
    if options:
        spec = _resolve(
            next((o for o in options if o.get("type") != "null"), options[0]), components
        )
    kind = spec.get("type")
    if kind == "object" or "properties" in spec:
        return {
            name: _edge_body(sub, components, big)
            for name, sub in spec.get("properties", {}).items()
        }
    if kind == "array":
        return [_edge_body(spec.get("items", {}), components, big)]
    return {"integer": big, "number": big, "string": "x", "boolean": False}.get(kind, big)


def test_out_of_range_numbers_in_bodies_are_refused_cleanly(data_set, client):
    """Every write with a JSON body, its numbers beyond the database's integers: never a 500."""
    from manyi.api import api

    world = data_set
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    headers = auth(world.head)
    case_id = str(_ids("cases.Case")[0])
    failures = []
    client.raise_request_exception = False
    for path, operations in schema["paths"].items():
        for method, spec in operations.items():
            content = spec.get("requestBody", {}).get("content", {}).get("application/json")
            if method == "get" or content is None:
                continue
            url = path
            for param in spec.get("parameters", []):
                if param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", case_id)
            for big in (2**63, 2**64 + 1, -(2**63) - 1):
                body = _edge_body(content["schema"], components, big)
                response = send(client, method, url, headers, body)
                if response.status_code >= 500 or (
                    response.status_code >= 400 and not _is_problem(response)
                ):
                    failures.append(f"{method.upper()} {url} {big}: {response.status_code}")
    assert not failures, "\n".join(failures)
