"""The suite runs on the database the test command asked for, never silently on another."""

import os

from django.db import connection


def test_running_on_the_expected_database(db):
    expected = os.environ.get("MANYI_EXPECT_DB")
    if expected:
        assert connection.vendor == expected
    assert connection.vendor in {"sqlite", "postgresql"}
