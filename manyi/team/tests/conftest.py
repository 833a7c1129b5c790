import pytest


@pytest.fixture(autouse=True)
def team_templates(db):
    """The built-in instruments (both apps'). The data migrations load them, but a browser test
    run before flushes every table; loading again is idempotent."""
    from manyi.instruments.builtin import load_builtins
    from manyi.team.builtin import load_team_templates

    load_builtins()
    load_team_templates()
