"""Safe retries of API writes (``Idempotency-Key``): the middleware listed in the settings.

The implementation, its table and its messages live in the reliability app
(:mod:`manyi.reliability.idempotency`); this module is the stable name the settings use.
"""

from manyi.reliability.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    TTL,
    IdempotencyMiddleware,
    sweep_expired,
)

__all__ = ["HEADER", "REPLAYED_HEADER", "TTL", "IdempotencyMiddleware", "sweep_expired"]
