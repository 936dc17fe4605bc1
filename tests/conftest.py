"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# ---- BEGIN fixtures for the local Argo API (owner: client; tests/argo_fake.py) ----------------
from argo_fake import FakeArgo

from argo_buildpacks.client._client import ArgoClient


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


@pytest.fixture
def argo_fake() -> Iterator[FakeArgo]:
    """A running local Argo API (token ``test-token``, namespace ``argo``)."""
    with FakeArgo() as fake:
        yield fake


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock whose ``sleep`` returns at once."""
    return FakeClock()


@pytest.fixture
def argo_client(argo_fake: FakeArgo, fake_clock: FakeClock) -> Iterator[ArgoClient]:
    """An :class:`ArgoClient` for ``argo_fake`` whose retries and polls do not really sleep."""
    client = ArgoClient(
        argo_fake.url,
        token=argo_fake.token,
        namespace="argo",
        timeout=5.0,
        sleep=fake_clock.sleep,
        clock=fake_clock,
    )
    with client:
        yield client


# ---- END fixtures for the local Argo API ------------------------------------------------------
