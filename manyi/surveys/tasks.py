"""Background tasks of surveys."""

from django_tasks import task


@task()
def send_invitations() -> dict:
    """Send the invitations and reminders that are due, close finished campaigns."""
    from manyi.surveys.actions import sweep

    return sweep()
