"""The demo company's quality work: a year of audits through the actions, overdue outlets, an
audit in progress, action items and praise, two mystery-shopping programmes with competitors."""

from __future__ import annotations

import time

from django.db.models import Count

from conftest import fresh_user
from manyi.demo import build_demo
from manyi.org.models import Role, Staff
from manyi.org.scopes import scope_for
from manyi.quality import queries
from manyi.quality.models import (
    ActionItem,
    Audit,
    AuditStatus,
    FindingStatus,
    ProgramStage,
    ShoppingProgram,
    Standard,
    Visit,
)


def test_demo_quality(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.monotonic()
    company = build_demo(customers=0)
    elapsed = time.monotonic() - started
    assert Standard.objects.filter(company=company).values("industry").distinct().count() == 4
    submitted = Audit.objects.filter(company=company, status=AuditStatus.SUBMITTED)
    months = submitted.values("month").distinct().count()
    assert months >= 12
    per_outlet = dict(submitted.values_list("outlet__code").annotate(n=Count("pk")))
    assert len(per_outlet) == 12 and min(per_outlet.values()) >= 10
    assert submitted.filter(is_walkaround=True).count() >= 20
    assert Audit.objects.filter(company=company, status=AuditStatus.DRAFT).count() == 1
    auditor = Staff.objects.get(company=company, role=Role.AUDITOR).user
    due = queries.due_audits(scope_for(fresh_user(auditor)))
    assert {d.outlet.code for d in due if d.overdue} >= {"TJ-CAR-10", "SY-DECO-12"}
    assert ActionItem.objects.filter(company=company, status="done").exists()
    assert ActionItem.objects.filter(company=company, status="open").exists()
    assert submitted.filter(findings__status=FindingStatus.RECOGNISED).exists()
    done, current = ShoppingProgram.objects.filter(company=company).order_by("created_at")
    assert done.stage == ProgramStage.CLOSED and current.stage == ProgramStage.VISITS
    report = queries.program_report(done)
    assert report.own["visits"] and report.competitors["visits"]
    shopper = Staff.objects.get(company=company, role=Role.SHOPPER)
    assert Visit.objects.filter(shopper=shopper, status="planned").count() == 2
    assert elapsed < 60  # about 10 s on a quiet machine; generous for a busy one
    # Rebuilding replaces the quality data with the company: the same year, not two.
    count = submitted.count()
    build_demo(customers=0)
    assert Audit.objects.filter(status=AuditStatus.SUBMITTED).count() == count
