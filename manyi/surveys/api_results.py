"""Survey results under /api/v1/survey-results/."""

from ninja import Router

router = Router(tags=["survey results"])
