"""Background delivery of outbound messages, and the sweep that keeps any from being lost."""

from django_tasks import task


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one queued message; returns its status."""
    from manyi.notify.actions import deliver_message as deliver

    return deliver(message_id)


@task()
def sweep_messages() -> int:
    """Re-enqueue due messages with no task (every minute); returns how many."""
    from manyi.notify.actions import sweep_messages as sweep

    return sweep()
