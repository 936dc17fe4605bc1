"""The pod model's two layouts and input artifacts, against Argo v4.1.2's own tests:
``workflow/controller/workflowpod_initless_test.go`` and ``workflowpod_build_test.go``
(``assertInitlessNoAuxContainerShape``), named in each case."""

from __future__ import annotations

from typing import Any

from argo_buildpacks.linting._workflowpod import Controller, Pod, construct_pod

INITLESS = Controller(initless=True)
MANIFEST_FROM: dict[str, Any] = {
    "name": "create-pod",
    "inputs": {"artifacts": [{"name": "manifest", "path": "/tmp/m.yaml", "raw": {"data": "{}"}}]},
    "resource": {"action": "create", "manifestFrom": {"artifact": {"name": "manifest"}}},
}  # fmt: skip
WITH_INPUT: dict[str, Any] = {
    "name": "hello",
    "inputs": {"artifacts": [{"name": "in1", "path": "/tmp/in1", "raw": {"data": "x"}}]},
    "container": {"image": "alpine", "command": ["cat", "/tmp/in1"]},
}


def spec(tmpl: dict[str, Any]) -> dict[str, Any]:
    return {"entrypoint": tmpl["name"], "templates": [tmpl]}


def env(pod: Pod, container: str) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in (pod.container(container) or {}).get("env", [])}


def mount_paths(pod: Pod, container: str, volume: str) -> list[tuple[str, str | None]]:
    return [
        (m["mountPath"], m.get("subPath"))
        for m in (pod.container(container) or {}).get("volumeMounts", [])
        if m["name"] == volume
    ]


def test_initless_resource_without_logs_has_no_supervisor_and_main_carries_the_template() -> None:
    """TestCreateWorkflowPod_InitlessNoAuxContainer (assertInitlessNoAuxContainerShape)."""
    tmpl = {"name": "r", "resource": {"action": "get", "manifest": "{}"}}
    pod = construct_pod(tmpl, spec(tmpl), controller=INITLESS)
    assert pod.container("supervisor") is None
    assert pod.spec["initContainers"] == []
    assert "ARGO_TEMPLATE" in env(pod, "main")
    assert "ARGO_WAIT_FOR_READY" not in env(pod, "main")


def test_initless_manifest_from_gets_a_supervisor_that_main_waits_for() -> None:
    """TestCreateWorkflowPod_InitlessResourceManifestFrom."""
    pod = construct_pod(MANIFEST_FROM, spec(MANIFEST_FROM), controller=INITLESS)
    assert pod.container("supervisor") is not None
    assert env(pod, "main")["ARGO_WAIT_FOR_READY"] == "true"
    assert ("/argo/inputs/artifacts", None) in mount_paths(pod, "supervisor", "input-artifacts")


def test_legacy_manifest_from_stages_through_init_and_gains_no_wait() -> None:
    """TestCreateWorkflowPod_LegacyResourceManifestFrom."""
    pod = construct_pod(MANIFEST_FROM, spec(MANIFEST_FROM))
    assert [c["name"] for c in pod.spec["initContainers"]] == ["init"]
    assert [c["name"] for c in pod.spec["containers"]] == ["main"]


def test_initless_input_artifacts_mount_the_whole_volume_on_main() -> None:
    """TestCreateWorkflowPod_InitlessInputArtifacts: no per-artifact subPath on main, the
    volume at /argo/inputs/artifacts (writable) on main and supervisor."""
    pod = construct_pod(WITH_INPUT, spec(WITH_INPUT), controller=INITLESS)
    assert mount_paths(pod, "main", "input-artifacts") == [("/argo/inputs/artifacts", None)]
    main_mount = next(
        m for m in (pod.container("main") or {})["volumeMounts"] if m["name"] == "input-artifacts"
    )
    assert not main_mount.get("readOnly")
    # The supervisor loads them there (and, like wait, mirrors main's mounts under /mainctrfs).
    assert ("/argo/inputs/artifacts", None) in mount_paths(pod, "supervisor", "input-artifacts")


def test_legacy_input_artifacts_are_subpath_mounts_on_main_and_init_loads_them() -> None:
    """addInputArtifactsVolumes (workflowpod.go 1560-1673, v4.1.2): init mounts the volume,
    main each artifact at its path by subPath, unless a volume mount already covers it."""
    pod = construct_pod(WITH_INPUT, spec(WITH_INPUT))
    assert mount_paths(pod, "init", "input-artifacts") == [("/argo/inputs/artifacts", None)]
    assert mount_paths(pod, "main", "input-artifacts") == [("/tmp/in1", "in1")]
    overlapping = {
        **WITH_INPUT,
        "container": {**WITH_INPUT["container"], "volumeMounts": [{"name": "v",
                                                                    "mountPath": "/tmp"}]},
        "volumes": [{"name": "v", "emptyDir": {}}],
    }  # fmt: skip
    pod = construct_pod(overlapping, spec(overlapping))
    assert mount_paths(pod, "main", "input-artifacts") == []
