"""The team API under /api/v1/, one module per area; every endpoint calls the same action as
the page."""

from ninja import Router

router = Router(tags=["team"])

from manyi.team.api import csas, leadership, training  # noqa: E402, F401  (they add their routes)
