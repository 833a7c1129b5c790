"""The survey fixtures, reused: a customer's data includes their survey answers."""

from manyi.surveys.tests.conftest import builtins, campaign_data, consenting, frozen, version

__all__ = ["builtins", "campaign_data", "consenting", "frozen", "version"]
