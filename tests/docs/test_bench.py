"""The benchmark compares like with like: its raw-Hera baseline builds the same manifests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from apps import TUTORIAL, apps  # noqa: E402
from raw_hera import raw_template  # noqa: E402
from run import structure  # noqa: E402

from argo_buildpacks import (  # noqa: E402
    render,
    to_manifest,
    workflow_template,
)


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
    # The build pod, then the provenance pod (crane: the fourth image).
    assert rows["single-pod, daemonless"] == ["2", "0", "0", "0", "4", "1"]
    assert rows["steps, daemonless"][:4] == ["5", "1", "0", "0"]
    assert rows["single-pod, pack-dind"][2] == "1"
    assert TUTORIAL["kind"] == "WorkflowTemplate"


def test_rebuild_counts_what_a_rebuild_costs() -> None:
    """A rebuild starts every container and runs the app's code again; only what changed is
    uploaded (the harness pushes to a real registry on 127.0.0.1, when `make bench` fetched
    it)."""
    from rebuild import REGISTRY_BIN, bench_config, build_containers, measure_rebuilds, registry

    # The build pod's seven, and the provenance step's one.
    assert build_containers(to_manifest(workflow_template(bench_config()))) == 8
    if not REGISTRY_BIN.is_file():
        pytest.skip(f"no registry binary at {REGISTRY_BIN} (make bench fetches it)")
    with registry(REGISTRY_BIN) as url:
        first, changed, same = measure_rebuilds(url)
    assert (first.containers, first.app_code, first.layers, first.manifests) == (8, 2, 5, 1)
    # The app layer alone (a 10 KiB tar), then the config blob and the manifest.
    assert (changed.app_code, changed.layers, changed.manifests) == (2, 1, 1)
    assert (same.app_code, same.layers, same.manifests) == (2, 0, 1)
    assert same.bytes < changed.bytes < first.bytes


def test_a_rebase_uploads_no_app_layer_and_runs_no_app_code() -> None:
    """The rebase component's rebaser, with the recording fake, against the image a first
    build pushed: config and manifests only (the version tag and the immutable one)."""
    from rebuild import REGISTRY_BIN, measure_rebase, measure_rebuilds, registry

    if not REGISTRY_BIN.is_file():
        pytest.skip(f"no registry binary at {REGISTRY_BIN} (make bench fetches it)")
    with registry(REGISTRY_BIN) as url:
        first = measure_rebuilds(url)[0]  # on the empty registry
        rebased = measure_rebase(url)
    assert (rebased.containers, rebased.app_code, rebased.layers) == (2, 0, 0)
    assert rebased.manifests == 2  # TAG and TAG-rebased.<time>
    assert rebased.bytes < first.bytes / 100
