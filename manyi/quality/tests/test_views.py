"""The quality pages through the test client: each page for the people it serves, refusals for
the others, and the audit, the findings, the ranking and the programme done by posting forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import PASSWORD
from manyi.quality.actions import audits
from manyi.quality.models import (
    ActionItem,
    Audit,
    AuditFinding,
    AuditStatus,
    PriorityRank,
    Standard,
)
from manyi.quality.tests.conftest import codes


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


PAGES = [
    ("quality:index", []),
    ("quality:standards", []),
    ("quality:priorities", []),
    ("quality:templates", []),
    ("quality:plans", []),
    ("quality:audits", []),
    ("quality:actions", []),
    ("quality:compare", []),
    ("quality:programs", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_head_sees_every_page(client, world, template, name, args):
    response = login(client, world.head).get(reverse(name, args=args))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["quality:index", "quality:standards", "quality:audits", "quality:compare", "quality:actions"],
)
def test_auditor_reaches_the_audit_pages(client, world, template, name):
    assert login(client, world.auditor).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("who", ["sales", "tech", "outsider"])
def test_others_are_refused(client, world, template, who):
    client = login(client, world.users[who])
    for name in ("quality:index", "quality:standards", "quality:compare", "quality:programs"):
        assert client.get(reverse(name)).status_code == 403, name


def test_auditor_cannot_reach_mystery_shopping(client, world):
    assert login(client, world.auditor).get(reverse("quality:programs")).status_code == 403


def test_create_and_approve_a_standard_through_the_pages(client, world):
    client = login(client, world.head)
    response = client.post(
        reverse("quality:standard-create"),
        {
            "area": "timeliness",
            "statement": "顾客进店30秒内招呼",
            "criterion": "",
            "criterion_unit": "秒",
        },
    )
    assert response.status_code == 200  # the unit without a criterion is refused
    assert not Standard.objects.exists()
    response = client.post(
        reverse("quality:standard-create"),
        {"area": "timeliness", "statement": "顾客进店后招呼", "criterion": ""},
    )
    standard = Standard.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("quality:standard", args=[standard.pk])).content.decode()
    assert 'data-testid="not-observable"' in page
    response = client.post(reverse("quality:standard", args=[standard.pk]), {"checks": ["clear"]})
    assert response.status_code == 200
    standard.refresh_from_db()
    assert standard.status == "draft"
    client.post(
        reverse("quality:standard-edit", args=[standard.pk]),
        {
            "area": "timeliness",
            "statement": "顾客进店30秒内招呼",
            "criterion": "≤30秒",
            "code": standard.code,
        },
    )
    response = client.post(
        reverse("quality:standard", args=[standard.pk]),
        {"checks": ["clear", "concise", "observable", "realistic"]},
    )
    standard.refresh_from_db()
    assert response.status_code == 302 and standard.status == "approved"


def test_ranking_page_saves_ranks(client, world, five):
    client = login(client, world.head)
    response = client.post(
        reverse("quality:priorities"),
        {
            "procedural_share": "30",
            f"rank-procedural-{five['B'].pk}": "1",
            f"rank-procedural-{five['A'].pk}": "2",
            f"rank-personal-{five['E'].pk}": "1",
        },
    )
    assert response.status_code == 302
    ranks = dict(PriorityRank.objects.values_list("standard__code", "rank"))
    assert ranks == {"B": 1, "A": 2, "E": 1}
    page = client.get(reverse("quality:priorities")).content.decode()
    assert 'value="30"' in page


def test_generate_a_template_and_a_plan_through_the_pages(client, world, five):
    client = login(client, world.head)
    response = client.post(
        reverse("quality:templates"),
        {"name": "月度审核", "standards": [str(s.pk) for s in five.values()]},
    )
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert "月度审核" in response.content.decode()
    from manyi.quality.models import AuditTemplate

    template = AuditTemplate.objects.get()
    response = client.post(
        reverse("quality:plans"),
        {
            "name": "每月",
            "template": template.pk,
            "outlets": [world.east1.pk],
            "every": 1,
            "period": "month",
            "starts_on": "2026-11-01",
            "auditor": world.auditor.staff.pk,
        },
    )
    assert response.status_code == 302


def test_audit_on_the_phone_form_then_findings(client, world, template):
    client = login(client, world.auditor)
    response = client.post(
        reverse("quality:audits"), {"outlet": world.east1.pk, "template": template.pk}
    )
    audit = Audit.objects.get()
    assert response["Location"] == reverse("quality:audit", args=[audit.pk])
    code = codes(template)
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="audit-form"' in page and code["A"] in page
    # Submitting with one answer: refused, the answer is kept.
    response = client.post(
        reverse("quality:audit", args=[audit.pk]), {code["A"]: "met", "submit": "1"}
    )
    assert response.status_code == 422
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DRAFT and audit.answers == {code["A"]: "met"}
    response = client.post(
        reverse("quality:audit", args=[audit.pk]),
        {
            code["B"]: "not_met",
            code["C"]: "na",
            code["D"]: "met",
            code["E"]: "partly",
            f"note-{code['B']}": "排队5人",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == AuditStatus.SUBMITTED
    page = client.get(reverse("quality:audit", args=[audit.pk])).content.decode()
    assert 'data-testid="audit-score"' in page and "排队5人" in page
    # The outlet manager turns the gap into an action item from the result page.
    gap = AuditFinding.objects.get(audit=audit, standard__code="B")
    client = login(client, world.manager)
    response = client.post(
        reverse("quality:finding-action", args=[gap.pk]),
        {
            f"f{gap.pk}-description": "增开收银台",
            f"f{gap.pk}-owner": world.manager.staff.pk,
            f"f{gap.pk}-due_on": "2099-01-01",
        },
    )
    assert response.status_code == 302
    assert ActionItem.objects.get().finding == gap
    # The south manager neither sees the audit nor acts on it.
    client = login(client, world.south_manager)
    assert client.get(reverse("quality:audit", args=[audit.pk])).status_code == 404


def test_another_auditor_cannot_open_a_draft(client, world, template):
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    assert (
        login(client, world.head).get(reverse("quality:audit", args=[audit.pk])).status_code == 404
    )


def test_history_and_comparison_pages(client, world, template, django_assert_max_num_queries):
    code = codes(template)
    for outlet in (world.east1, world.east2):
        audit = audits.start_audit(actor=world.auditor, outlet=outlet, template=template)
        audits.submit_audit(
            actor=world.auditor, audit=audit, answers=dict.fromkeys(code.values(), "met")
        )
    client = login(client, world.head)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("quality:compare"))
    assert response.status_code == 200
    assert 'id="quality-charts"' in response.content.decode()
    response = client.get(reverse("quality:compare"), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[1][0] == world.east1.name and rows[1][3] == 100
    with django_assert_max_num_queries(20):
        response = client.get(reverse("quality:outlet", args=[world.east1.pk]))
    assert response.status_code == 200
    response = client.get(reverse("quality:compare"), {"from": "2026-13"})
    assert response.status_code == 200


def test_due_list_shows_plans(client, world, template):
    audits.create_plan(
        actor=world.head,
        name="每月审核",
        template=template,
        outlets=[world.east1],
        every=1,
        period="month",
        starts_on=dt.date(2026, 1, 1),
        auditor=world.auditor.staff,
    )
    page = login(client, world.auditor).get(reverse("quality:index")).content.decode()
    assert "每月审核" in page
