"""Background tasks of personal data: the retention sweep."""

from django_tasks import task


@task()
def apply_retention() -> int:
    """Anonymise customers whose records are all closed and older than the retention."""
    from manyi.privacy.actions import apply_retention as run

    return run()
