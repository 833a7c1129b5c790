"""Insights' tables, kept in two modules by what they serve.

- ``models_rollups``: per-unit, per-day rollups of cases, surveys, complaints and audits that the
  cockpit and the weekly report read instead of raw rows;
- ``models_loop``: the negative signals of the closed loop and how each was closed.
"""

from manyi.insights import models_loop, models_rollups  # noqa: F401  (registers the models)
