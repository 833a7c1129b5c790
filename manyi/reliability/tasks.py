"""Background tasks of reliability: sweeping expired idempotency keys."""

from django_tasks import task


@task()
def sweep_idempotency_keys() -> int:
    """Delete the idempotency keys whose day has passed."""
    from manyi.reliability.idempotency import sweep_expired

    return sweep_expired()
