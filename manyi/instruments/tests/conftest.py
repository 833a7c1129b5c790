import pytest


@pytest.fixture
def builtins(db):
    """The built-in templates. The data migration loads them, but a transactional test run
    before (a browser test) flushes every table; loading again is idempotent."""
    from manyi.instruments.builtin import load_builtins

    load_builtins()
