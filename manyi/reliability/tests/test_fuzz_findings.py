"""The server errors the API fuzz found, each pinned by the request that caused it."""

from __future__ import annotations

from conftest import assert_problem, auth, field_names, send

TOO_BIG = 22195652955060836268669033315827712  # more than any database integer holds


def test_quality_priorities_with_an_id_too_large_is_refused(client, world):
    # PUT /priorities: the standard ids reached SQLite, which raised OverflowError (500).
    body = {"procedural_share": 20, "procedural": [1, TOO_BIG], "personal": [2**63]}
    problem = assert_problem(send(client, "put", "/api/v1/priorities", auth(world.head), body), 422)
    assert set(field_names(problem)) == {"procedural.1", "personal.0"}
