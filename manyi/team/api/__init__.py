"""The team API under /api/v1/, one module per area; every endpoint calls the same action as
the page."""

from ninja import Router

router = Router(tags=["team"])

from manyi.team.api import (  # noqa: E402, F401, I001  (each adds its routes to the router)
    appraisals,
    csas,
    leadership,
    scoreboard,
    service_level,
    training,
)
