"""Background tasks of surveys."""

from django_tasks import task


@task()
def send_invitations() -> dict:
    """Send the invitations and reminders that are due, close finished campaigns."""
    from manyi.surveys.actions import sweep

    return sweep()


@task()
def open_follow_up(response_id: int) -> bool:
    """Open the follow-up of an unhappy response (enqueued when its submission commits)."""
    from manyi.surveys.answering import open_pending_follow_up

    return open_pending_follow_up(response_id) is not None
