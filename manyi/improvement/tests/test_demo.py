"""The demo company's improvement work: every state of problems and actions, a finished
nominal-group session with its tally, a brainstorm under way, and overdue actions reported."""

from django.db.models import Count

from manyi.demo import build_demo
from manyi.improvement import queries
from manyi.improvement.models import ActionItem, Phase, Problem, Session
from manyi.notify.models import Notification


def test_demo_improvement(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    company = build_demo(customers=120)
    problems = Problem.objects.filter(company=company)
    assert set(problems.values_list("status", flat=True)) == {"open", "in_progress", "closed"}
    assert problems.filter(source_kind="complaint_cause").exists()
    assert problems.filter(source_kind="complaint").exists()
    statuses = dict(ActionItem.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert {"open", "in_progress", "done"} <= set(statuses)
    today = queries.clock_today()
    overdue = [a for a in ActionItem.objects.all() if a.is_overdue(today)]
    assert overdue
    assert Notification.objects.filter(kind="action_overdue").exists()
    finished = Session.objects.get(method="ngt")
    assert finished.phase == Phase.DONE
    final = queries.session_tally(finished, 2)
    assert final.rankings >= 3 and final.winner is not None
    assert ActionItem.objects.filter(idea__session=finished).count() == 3
    live = Session.objects.get(method="brainstorm")
    assert live.phase == Phase.IDEAS and live.ideas.count() == 4
    # Rebuilding clears the improvement rows with the rest of the company.
    build_demo(customers=0)
    assert Problem.objects.count() == 5
