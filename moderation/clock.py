"""The service's clock: injected (app key CLOCK, Worker clock) so tests control time."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
