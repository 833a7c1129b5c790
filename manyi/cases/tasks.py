"""Background tasks of the case engine."""

from django_tasks import task


@task()
def sweep_breaches() -> int:
    """Record the clocks that passed their deadline since the last sweep (once each)."""
    from manyi.cases.actions import sweep_breaches as sweep

    return sweep()
