"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argo_buildpacks.client._client import ArgoClient

# ---- BEGIN fixtures for the local Argo API (owner: client; tests/support/argo_fake.py) ---
from tests.support.argo_fake import FakeArgo
from tests.support.clock import FakeClock
from tests.support.kube_fake import FakeKube


@pytest.fixture
def argo_fake() -> Iterator[FakeArgo]:
    """A running local Argo API (token ``test-token``, namespace ``argo``)."""
    with FakeArgo() as fake:
        yield fake


@pytest.fixture
def kube_fake() -> Iterator[FakeKube]:
    """A running local Kubernetes API (namespaces ``argo``, ``ci``, ``apps``; Argo Events'
    CRDs installed)."""
    with FakeKube(namespaces=("argo", "ci", "apps")) as fake:
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
