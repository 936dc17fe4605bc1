"""A clock for tests of waits and retries: time moves only when something sleeps."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock, without waiting."""
        self.sleeps.append(seconds)
        self.now += seconds
