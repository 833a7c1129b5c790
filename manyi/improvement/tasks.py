"""Background tasks of improvement."""

from django_tasks import task


@task()
def sweep_overdue_actions() -> int:
    """Tell the owners of actions past their due date, once each."""
    from manyi.improvement.actions import sweep_overdue_actions as sweep

    return sweep()
