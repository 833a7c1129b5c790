"""Background tasks of the customer archive."""

from django_tasks import task


@task()
def run_import(job_id: int) -> None:
    """Import an uploaded customer spreadsheet."""
    from manyi.customers.importing import run_import_job

    run_import_job(job_id)
