"""The soak and crash runs start servers and load them for a while: they run in ``make
test-reliability`` (``MANYI_SOAK=1``), not in the unit suite."""

import os
from pathlib import Path

import pytest

collect_ignore_glob = [] if os.environ.get("MANYI_SOAK") else ["test_*.py"]


@pytest.fixture(scope="session")
def soak_dirs(tmp_path_factory) -> dict[str, Path]:
    """Shared by the session's runs: the seeded databases (copied for each run) and the
    server's data directory (static files collected once); reports in MANYI_SOAK_REPORTS."""
    base = tmp_path_factory.mktemp("soak")
    reports = Path(os.environ.get("MANYI_SOAK_REPORTS") or base / "reports")
    return {"base": base, "template": base / "template", "data": base / "data", "reports": reports}
