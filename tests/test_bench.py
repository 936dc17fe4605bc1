"""The benchmark compares like with like: its raw-Hera baseline builds the same manifests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from apps import TUTORIAL, apps  # noqa: E402
from raw_hera import raw_template  # noqa: E402
from run import structure  # noqa: E402

from argo_buildpacks import workflow_template  # noqa: E402
from argo_buildpacks.pipeline import render, to_manifest  # noqa: E402


@pytest.mark.parametrize("config", apps(200)[::37], ids=lambda c: c.name)
def test_raw_hera_baseline_builds_the_same_template(config: object) -> None:
    ours = workflow_template(config)  # type: ignore[arg-type]
    raw = raw_template(config)  # type: ignore[arg-type]
    assert to_manifest(raw) == to_manifest(ours)
    assert render(raw) == render(ours)


def test_benchmark_apps_are_distinct() -> None:
    configs = apps(200)
    assert len({c.name for c in configs}) == 200
    assert len({str(c.image) for c in configs}) == 200


def test_structural_table() -> None:
    rows = {r[0]: r[1:] for r in structure()[1:]}
    # pods, PVCs, privileged, root containers, images, clone depth
    assert rows["tutorial (clone, pack + docker.sock, deploy)"] == ["3", "1", "1", "3", "3", "full"]
    assert rows["single-pod, daemonless"] == ["1", "0", "0", "0", "3", "1"]
    assert rows["steps, daemonless"][:4] == ["4", "1", "0", "0"]
    assert rows["single-pod, pack-dind"][2] == "1"
    assert TUTORIAL["kind"] == "WorkflowTemplate"
