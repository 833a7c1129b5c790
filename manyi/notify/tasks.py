"""Background delivery of outbound messages."""

from django_tasks import task


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one queued message; returns its status."""
    from manyi.notify.actions import deliver_message as deliver

    return deliver(message_id)
