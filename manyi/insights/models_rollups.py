"""Rollup tables for the cockpit (see the module docstring of ``manyi.insights.rollups``)."""
