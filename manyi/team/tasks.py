"""Background tasks of the team app."""

from django_tasks import task


@task()
def notify_expiring_licences() -> int:
    """Tell holders and their managers of work licences ending within 30 days (once each)."""
    from manyi.team.actions.training import notify_expiring_licences as notify

    return notify()
