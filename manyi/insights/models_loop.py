"""Negative signals of the closed loop (see ``manyi.insights.loop``)."""
