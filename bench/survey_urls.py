"""The app's URLs plus the survey benchmark's baseline endpoint (bench server only).

``POST /bench/survey-baseline/<token>`` takes the same JSON body as the real submit endpoint
(``POST /api/v1/survey-answers/<token>``), through the same django-ninja machinery and
middleware, and inserts one response row with the same columns — and nothing else: no token
lookup, no validation of the answers, no scoring, no factor and answer rows, no rollups, no
follow-up. Its throughput is what the real endpoint is compared with.

The row's company, outlet, region and instrument version come from the JSON of the
``MANYI_BENCH_SURVEY_ROW`` environment variable, which the benchmark sets for its server.
"""

from __future__ import annotations

import json
import os

from django.http import HttpRequest
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI, Status

from manyi import clock
from manyi.surveys.api import AnswersIn, SubmittedOut
from manyi.surveys.models import ResponseSource, SurveyChannel, SurveyResponse
from manyi.urls import urlpatterns as app_urlpatterns

ROW = json.loads(os.environ.get("MANYI_BENCH_SURVEY_ROW") or "{}")

bench_api = NinjaAPI(
    title="manyi bench", urls_namespace="bench_api", docs_url=None, openapi_url=None
)


@bench_api.post("/survey-baseline/{token}", response={201: SubmittedOut}, auth=None)
def survey_baseline(request: HttpRequest, token: str, payload: AnswersIn):
    """Insert the response row, nothing more (the benchmark's baseline)."""
    now = clock.now()
    local = timezone.localtime(now)
    response = SurveyResponse.objects.create(
        version_id=ROW["version_id"],
        answers=payload.answers,
        index=ROW.get("index"),
        company_id=ROW["company_id"],
        unit_id=ROW["unit_id"],
        region_id=ROW.get("region_id"),
        campaign_id=ROW.get("campaign_id"),
        source=ResponseSource.CAMPAIGN,
        # "link" and no invitation: how the checks find these rows and remove them.
        channel=SurveyChannel.LINK,
        submitted_at=now,
        month=local.date().replace(day=1),
        day=local.date(),
    )
    return Status(201, {"id": response.pk, "index": response.index, "submitted_at": now})


urlpatterns = [path("bench/", bench_api.urls), *app_urlpatterns]
